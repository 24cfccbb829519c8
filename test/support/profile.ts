import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * CPU profiles of a `firebreak serve` child process, for the benchmarks:
 * a preload module (given to the child with NODE_OPTIONS=--import …) samples
 * the whole process with the inspector and writes DIR/firebreak-PID.cpuprofile
 * at exit, with the inline source maps tsx gave each of our files, so hot
 * spots are reported as src/file.ts:line of the TypeScript sources.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Writes the preload into `dir` and returns the NODE_OPTIONS fragment that loads it. */
export function profilerNodeOptions(dir: string, samplingIntervalUs = 250): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'paging-profiler-preload.mjs');
  writeFileSync(
    file,
    `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: ${samplingIntervalUs} });
session.post('Profiler.start');
process.on('exit', () => {
  const sourceMaps = {};
  session.on('Debugger.scriptParsed', ({ params }) => {
    if (params.url.startsWith(${JSON.stringify(pathToFileURL(ROOT).href)}) && params.sourceMapURL.startsWith('data:')) sourceMaps[params.url] = params.sourceMapURL;
  });
  session.post('Debugger.enable');
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(${JSON.stringify(dir)} + '/firebreak-' + process.pid + '.cpuprofile', JSON.stringify({ ...result.profile, sourceMaps }));
  });
});
`,
  );
  return `--import ${pathToFileURL(file).href}`;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
  sourceMaps?: Record<string, string>;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Per generated line (0-based): [generated column, original line (0-based)] segments of a v3 source map. */
function decodeMappings(mappings: string): Array<Array<[number, number]>> {
  const lines: Array<Array<[number, number]>> = [];
  let originalLine = 0;
  for (const lineText of mappings.split(';')) {
    const segments: Array<[number, number]> = [];
    let column = 0;
    for (const segment of lineText.split(',')) {
      if (segment === '') continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0] ?? 0;
      if (values.length >= 4) {
        originalLine += values[2]!;
        segments.push([column, originalLine]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

function originalLine(maps: Record<string, string>, cache: Map<string, Array<Array<[number, number]>> | null>, url: string, line: number, column: number): number {
  if (!cache.has(url)) {
    const dataUrl = maps[url];
    cache.set(url, dataUrl ? decodeMappings((JSON.parse(Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64').toString('utf8')) as { mappings: string }).mappings) : null);
  }
  const segments = cache.get(url)?.[line];
  if (!segments || segments.length === 0) return line + 1;
  let best = segments[0]!;
  for (const segment of segments) if (segment[0] <= column) best = segment;
  return best[1] + 1;
}

export interface HotSpots {
  /** Sampled CPU time in ms over all profiles (idle included). */
  sampledMs: number;
  /** Share of samples the process was idle. */
  idlePercent: number;
  /** Functions with the most self time. */
  self: string[];
  /** Functions of src/ with the most total time (themselves and what they call). */
  total: string[];
}

/** Over all profiles in `dir`: the top functions by self time, and those of src/ by total time. */
export function hotSpots(dir: string, top = 15): HotSpots {
  const selfUs = new Map<string, number>();
  const totalUs = new Map<string, number>();
  let allUs = 0;
  let idleUs = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const cache = new Map<string, Array<Array<[number, number]>> | null>();
    const keyOf = new Map<number, string>();
    const parentOf = new Map<number, number>();
    for (const node of profile.nodes) {
      const frame = node.callFrame;
      const where = !frame.url
        ? '(native)'
        : frame.url.startsWith('file:')
          ? `${relative(ROOT, fileURLToPath(frame.url))}:${originalLine(profile.sourceMaps ?? {}, cache, frame.url, frame.lineNumber, frame.columnNumber)}`
          : `${frame.url}:${frame.lineNumber + 1}`;
      keyOf.set(node.id, `${frame.functionName || '(anonymous)'}  ${where}`);
      for (const child of node.children ?? []) parentOf.set(child, node.id);
    }
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      allUs += us;
      const key = keyOf.get(id)!;
      if (key.startsWith('(idle)')) idleUs += us;
      selfUs.set(key, (selfUs.get(key) ?? 0) + us);
      const seen = new Set<string>();
      for (let node: number | undefined = id; node !== undefined; node = parentOf.get(node)) {
        const frameKey = keyOf.get(node)!;
        if (!frameKey.includes('  src/') || seen.has(frameKey)) continue;
        seen.add(frameKey);
        totalUs.set(frameKey, (totalUs.get(frameKey) ?? 0) + us);
      }
    });
  }
  const busyUs = Math.max(1, allUs - idleUs);
  const list = (map: Map<string, number>) =>
    [...map.entries()]
      .filter(([key]) => !key.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => `${((100 * us) / busyUs).toFixed(1).padStart(5)} % of busy  ${key}`);
  return { sampledMs: allUs / 1000, idlePercent: (100 * idleUs) / Math.max(1, allUs), self: list(selfUs), total: list(totalUs) };
}
