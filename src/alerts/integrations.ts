import { hash as digest, randomBytes, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { actorLabel, type Actor } from '../core/actor.ts';
import type { Context } from '../core/context.ts';
import { invalid, notFound } from '../core/errors.ts';
import { StringEnum } from '../core/schema.ts';
import type { IntegrationRecord, Store } from '../store/index.ts';
import { GenericMapping, genericMappingProblems } from './adapters/index.ts';

export const INTEGRATION_KINDS = ['alertmanager', 'pagerduty', 'grafana', 'generic'] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

export const CreateIntegrationInput = Type.Object(
  {
    kind: StringEnum(INTEGRATION_KINDS),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    service: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'alerts from here belong to this service unless the catalog or a route says otherwise' })),
    mapping: Type.Optional(GenericMapping),
  },
  { additionalProperties: false },
);
export type CreateIntegrationInput = Static<typeof CreateIntegrationInput>;

const KEY_PREFIX = 'fbi_';
const hashKey = (key: string) => digest('sha256', key, 'hex');

/** The key is returned here, once; only its hash is stored. */
export async function createIntegration(ctx: Context, input: CreateIntegrationInput): Promise<{ integration: IntegrationRecord; key: string }> {
  if (input.service !== undefined && !ctx.config().service(input.service)) {
    throw invalid(`Unknown service "${input.service}"`, { field: 'service', allowed: ctx.config().services.map((s) => s.id) });
  }
  if (input.mapping !== undefined && input.kind !== 'generic') {
    throw invalid('Only generic integrations take a mapping', { field: 'mapping' });
  }
  const mappingProblems = input.mapping === undefined ? [] : genericMappingProblems(input.mapping);
  if (mappingProblems.length > 0) {
    throw invalid(`The mapping cannot be read: ${mappingProblems.join('; ')}`, { field: 'mapping', problems: mappingProblems });
  }
  const key = KEY_PREFIX + randomBytes(24).toString('base64url');
  const integration: IntegrationRecord = {
    id: ctx.newId(),
    kind: input.kind,
    name: input.name,
    service: input.service ?? null,
    mapping: (input.mapping as Record<string, unknown> | undefined) ?? null,
    keyHash: hashKey(key),
    keyPrefix: key.slice(0, KEY_PREFIX.length + 4),
    createdAt: ctx.clock.now(),
    createdBy: actorLabel(ctx.actor),
    deletedAt: null,
  };
  await ctx.store.repos.integrations.insert(integration);
  return { integration, key };
}

export async function listIntegrations(ctx: Context): Promise<IntegrationRecord[]> {
  return ctx.store.repos.integrations.list();
}

export async function deleteIntegration(ctx: Context, id: string): Promise<IntegrationRecord> {
  const integration = await ctx.store.repos.integrations.get(id);
  if (!integration || integration.deletedAt !== null) throw notFound('Integration', id);
  await ctx.store.repos.integrations.softDelete(id, ctx.clock.now());
  keyCacheOf(ctx.store).delete(integration.keyHash);
  return { ...integration, deletedAt: ctx.clock.now() };
}

/**
 * Integrations found by key in the last KEY_CACHE_MS, by key hash: alert
 * sources post often, and on SQLite a lookup would also wait for the ingest
 * transaction that is committing. Deleting an integration drops it from this
 * instance's cache at once; other instances (PostgreSQL) stop accepting its
 * key within KEY_CACHE_MS. Only keys that open an integration are kept, so
 * unknown keys cannot fill the cache.
 */
const KEY_CACHE_MS = 5_000;
const KEY_CACHE_SIZE = 1_000;
interface KeyCache {
  entries: Map<string, { integration: IntegrationRecord; until: number }>;
  /** Deletes so far: a lookup that saw one happen meanwhile keeps nothing. */
  deletes: number;
  delete(hash: string): void;
}
const keyCaches = new WeakMap<Store, KeyCache>();

function keyCacheOf(store: Store): KeyCache {
  let cache = keyCaches.get(store);
  if (!cache) {
    const created: KeyCache = {
      entries: new Map(),
      deletes: 0,
      delete: (hash) => {
        created.deletes++;
        created.entries.delete(hash);
      },
    };
    cache = created;
    keyCaches.set(store, cache);
  }
  return cache;
}

/**
 * The integration a key opens, if it is of the expected kind and not deleted.
 * The lookup is by hash; the final comparison of what the database gave back
 * is constant-time anyway (the cache is keyed by that same hash).
 */
export async function findIntegrationByKey(store: Store, key: string, kind: IntegrationKind): Promise<IntegrationRecord | null> {
  if (key.length === 0 || key.length > 200) return null;
  const hash = hashKey(key);
  const cache = keyCacheOf(store);
  const now = performance.now();
  const cached = cache.entries.get(hash);
  let integration = cached && cached.until > now ? cached.integration : undefined;
  if (!integration) {
    const deletes = cache.deletes;
    integration = await store.repos.integrations.findByKeyHash(hash);
    cache.entries.delete(hash);
    if (!integration || integration.deletedAt !== null) return null;
    if (!timingSafeEqual(Buffer.from(integration.keyHash, 'hex'), Buffer.from(hash, 'hex'))) return null;
    // A delete that finished while we looked wins over what we read.
    if (cache.deletes === deletes) {
      if (cache.entries.size >= KEY_CACHE_SIZE) cache.entries.delete(cache.entries.keys().next().value!);
      cache.entries.set(hash, { integration, until: now + KEY_CACHE_MS });
    }
  }
  return integration.kind === kind ? integration : null;
}

export function integrationActor(integration: IntegrationRecord): Actor {
  return { kind: 'integration', id: integration.id, name: integration.name, role: 'responder' };
}
