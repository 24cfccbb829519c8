import type { IdGenerator } from '../../src/core/ids.ts';
import type { Store } from '../../src/store/index.ts';

const STATUSES = ['investigating', 'identified', 'mitigating', 'monitoring', 'resolved', 'closed'] as const;
const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;

/**
 * Many past incidents at once, written straight to the store (declaring each
 * through the API would page and start clocks for every one): a history for
 * list and report views to page through. Spread over `spanMs` before `now`.
 */
export async function seedIncidents(store: Store, newId: IdGenerator, count: number, now: number, spanMs = 90 * 86_400_000): Promise<void> {
  const step = Math.max(1, Math.floor(spanMs / count));
  for (let start = 0; start < count; start += 500) {
    await store.transaction(async (tx) => {
      for (let i = start; i < Math.min(count, start + 500); i++) {
        const declaredAt = now - spanMs + i * step;
        const status = STATUSES[i % STATUSES.length]!;
        const done = status === 'resolved' || status === 'closed';
        await tx.incidents.insert({
          id: newId(),
          title: `Seeded incident ${i}: ${['queue backlog', 'API latency', 'scraper stalled', 'disk filling'][i % 4]}`,
          summary: '',
          severity: SEVERITIES[i % SEVERITIES.length]!,
          status,
          services: [['rest-api'], ['redis'], ['rabbitmq'], ['postgres']][i % 4]!,
          roles: {},
          declaredAt,
          declaredBy: 'system:seed',
          acknowledgedAt: declaredAt + 300_000,
          acknowledgedBy: 'user:amara',
          identifiedAt: null,
          mitigatedAt: null,
          resolvedAt: done ? declaredAt + 3_600_000 : null,
          closedAt: status === 'closed' ? declaredAt + 7_200_000 : null,
          lastUpdateAt: null,
          updatedAt: declaredAt,
          version: 1,
        });
      }
    });
  }
}
