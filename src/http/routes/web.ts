import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

/**
 * The responder UI: the files `vite build` wrote to web/dist, read into memory
 * once (a few hundred kilobytes), with the .br and .gz twins the build wrote
 * beside them served to browsers that accept them. Hashed assets are cached for
 * a year; the page itself is revalidated on every visit so a new version shows
 * up at the next load. Client-side paths answer with the page.
 */

/** Paths the UI's router owns; everything else stays the API's (and 404s as JSON). */
export const UI_PATHS = [
  '/',
  '/login',
  '/incidents',
  '/incidents/*',
  '/alerts',
  '/alerts/*',
  '/silences',
  '/oncall',
  '/status-page',
  '/reports',
  '/settings',
  '/settings/*',
] as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Scripts and styles from this origin only (no inline script: the build emits
 * none), API calls and live events to this origin, and no framing by others.
 * Inline styles are allowed for layout values React sets (widths of bars).
 */
export const UI_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
} as const;

interface Asset {
  type: string;
  identity: Buffer;
  br?: Buffer;
  gzip?: Buffer;
  immutable: boolean;
}

function readAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      if (name.endsWith('.br') || name.endsWith('.gz')) continue;
      const url = `/${relative(dir, path).split(sep).join('/')}`;
      const twin = (suffix: string) => (existsSync(path + suffix) ? readFileSync(path + suffix) : undefined);
      assets.set(url, {
        type: TYPES[extname(name)] ?? 'application/octet-stream',
        identity: readFileSync(path),
        br: twin('.br'),
        gzip: twin('.gz'),
        immutable: url.startsWith('/assets/'),
      });
    }
  };
  walk(dir);
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply {
  const accepts = String(request.headers['accept-encoding'] ?? '');
  const [encoding, body] =
    asset.br && /\bbr\b/.test(accepts) ? ['br', asset.br] : asset.gzip && /\bgzip\b/.test(accepts) ? ['gzip', asset.gzip] : [null, asset.identity];
  if (encoding) reply.header('content-encoding', encoding);
  return reply
    .header('content-type', asset.type)
    .header('vary', 'accept-encoding')
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .headers(UI_SECURITY_HEADERS)
    .send(body);
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Firebreak</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>The web UI is not built</h1><p>Run <code>npm run build:web</code> (npm ci does it) and restart Firebreak. The API at <code>/api/v1</code> works without it.</p></body></html>`;

export const webRoutes =
  (dir: string): FastifyPluginAsync =>
  async (app) => {
    const open = { action: 'public' as const };
    const assets = existsSync(join(dir, 'index.html')) ? readAssets(dir) : null;
    const page = assets?.get('/index.html');

    const answerPage = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!page) return reply.status(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
      return send(request, reply, page);
    };
    for (const path of UI_PATHS) app.get(path, { config: open, schema: { hide: true } }, answerPage);
    if (!assets) return;

    for (const [url, asset] of assets) {
      if (url === '/index.html') continue;
      app.get(url, { config: open, schema: { hide: true } }, async (request, reply) => send(request, reply, asset));
    }
  };
