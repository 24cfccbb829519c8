// A webhook parser thread (see index.ts). Plain JavaScript because a worker
// thread starts without the TypeScript loader that the server runs under:
// this registers one for the thread, then runs the thread's TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
