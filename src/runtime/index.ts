/** Starting and stopping a whole Firebreak server: store, config, timers, events, HTTP. */
export { startServer, type ServeOptions, type RunningServer } from './server.ts';
