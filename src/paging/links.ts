import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Acknowledge links in pages: the incident, the person and an expiry, signed
 * with a key every instance shares (kept in the database). Whoever holds the
 * link may acknowledge as that person until it expires; nothing else.
 */
export interface AckClaim {
  incidentId: string;
  userId: string;
  expiresAt: number;
}

export class AckLinks {
  constructor(private readonly key: string) {}

  sign(claim: AckClaim): string {
    const payload = Buffer.from(JSON.stringify({ i: claim.incidentId, u: claim.userId, e: claim.expiresAt }), 'utf8').toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The claim, if the token is ours, untampered and not expired; otherwise null. */
  verify(token: string, now: number): AckClaim | null {
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined || payload.length > 1000) return null;
    const expected = Buffer.from(this.mac(payload), 'utf8');
    const given = Buffer.from(mac, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { i?: unknown; u?: unknown; e?: unknown };
      if (typeof data.i !== 'string' || typeof data.u !== 'string' || typeof data.e !== 'number') return null;
      if (data.e <= now) return null;
      return { incidentId: data.i, userId: data.u, expiresAt: data.e };
    } catch {
      return null;
    }
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(`ack.${payload}`).digest('base64url');
  }
}
