import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfTokenMatches, sessionOf, type ActiveSession, type SessionSettings } from '../accounts/index.ts';
import { authenticate } from '../auth/index.ts';
import type { Actor } from '../core/actor.ts';
import type { Services } from '../core/context.ts';
import { parseDuration } from '../core/duration.ts';
import { forbidden, unauthenticated } from '../core/errors.ts';

/**
 * Two ways in: an API token (`Authorization: Bearer …`, for machines and the CLI)
 * or the web UI's session cookie. A cookie is sent by the browser on its own, so
 * a request that changes anything with one must also carry the session's CSRF
 * token in `X-CSRF-Token`, which only pages of our own origin can read.
 */
export const SESSION_COOKIE = 'firebreak_session';
/** Over HTTPS the cookie takes the __Host- prefix: the browser then refuses it from anything but this exact origin. */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Credentials {
  actor: Actor;
  /** Set when the caller came in with a session cookie. */
  session: ActiveSession | null;
  sessionToken: string | null;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    let value = part.slice(at + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** HTTPS as the browser sees it: TLS on this connection, or a trusted proxy's X-Forwarded-Proto (FIREBREAK_TRUST_PROXY). */
const isSecureRequest = (request: FastifyRequest): boolean => request.protocol === 'https';

/**
 * Over HTTPS only the __Host- cookie counts: a plain-named one could have been
 * planted by a sibling domain or over plain HTTP, to sign the victim in as the
 * attacker.
 */
export const sessionTokenOf = (request: FastifyRequest): string | undefined => {
  const cookies = parseCookies(request.headers.cookie);
  return isSecureRequest(request) ? cookies.get(SECURE_SESSION_COOKIE) : cookies.get(SESSION_COOKIE);
};

export function sessionSettings(services: Services): SessionSettings {
  const { sessionIdleTimeout, sessionMaxAge } = services.config().signIn;
  return { idleTimeoutMs: parseDuration(sessionIdleTimeout), maxAgeMs: parseDuration(sessionMaxAge) };
}

/**
 * Who is calling; throws 401 when nobody is, 403 when a cookie request lacks
 * its CSRF token. `renew: false` leaves an idle session's clock alone.
 */
export async function authenticateRequest(services: Services, request: FastifyRequest, { renew = true } = {}): Promise<Credentials> {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header !== '') {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthenticated('Send an API token as "Authorization: Bearer <token>"');
    const actor = await authenticate(services.store, services.clock, match[1]!);
    if (!actor) throw unauthenticated('The API token is unknown or revoked');
    return { actor, session: null, sessionToken: null };
  }
  const token = sessionTokenOf(request);
  if (token === undefined) throw unauthenticated('Sign in, or send an API token as "Authorization: Bearer <token>"');
  const session = await sessionOf(services, sessionSettings(services), token, { renew });
  if (!session) throw unauthenticated('Your session has ended; sign in again');
  if (!SAFE_METHODS.has(request.method)) {
    const given = request.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !csrfTokenMatches(token, given)) {
      throw forbidden(`A signed-in request that changes something must carry the session's CSRF token in ${CSRF_HEADER}`, { header: CSRF_HEADER });
    }
  }
  return { actor: session.actor, session, sessionToken: token };
}

export function setSessionCookie(reply: FastifyReply, request: FastifyRequest, token: string, maxAgeSeconds: number): void {
  const secure = isSecureRequest(request);
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  const attributes = [`${name}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`];
  if (secure) attributes.push('Secure');
  reply.header('set-cookie', attributes.join('; '));
}

export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest): void {
  const secure = isSecureRequest(request);
  reply.header('set-cookie', [
    `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`,
    ...(secure ? [`${SECURE_SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure`] : []),
  ]);
}
