import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { withActor, type Services } from '../../core/context.ts';
import { invalid, notFound } from '../../core/errors.ts';
import { StringEnum } from '../../core/schema.ts';
import { MAX_OUTPUT_CHUNK_CHARS, MAX_OUTPUT_CHUNKS_PER_REPORT } from '../../runbooks/protocol.ts';
import {
  abandonStep,
  actOnStep,
  cancelRun,
  createRun,
  finishStep,
  getRun,
  getRunbook,
  heartbeat,
  listRunbooks,
  listRuns,
  reportOutput,
  runbooksForIncident,
  type RunnerHub,
  type StepAction,
} from '../../runs/index.ts';
import { IdParams, errorResponses } from '../schemas.ts';

const AnyObject = Type.Unsafe<object>({ type: 'object', additionalProperties: true });
const ParamValues = Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 8192 }), { maxProperties: 100 });
const Comment = Type.Optional(Type.String({ maxLength: 2000 }));
const ShortId = Type.String({ minLength: 1, maxLength: 128 });

const CreateRunBody = Type.Object(
  {
    runbook: ShortId,
    scenario: Type.Optional(ShortId),
    incident: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    params: Type.Optional(ParamValues),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const RunsQuery = Type.Object(
  {
    incident: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

const StepParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), step: ShortId }, { additionalProperties: false });
const StepActionParams = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    step: ShortId,
    action: StringEnum(['start', 'approve', 'reject', 'skip', 'retry', 'cancel', 'answer', 'complete'] as const),
  },
  { additionalProperties: false },
);
const StepActionBody = Type.Object(
  {
    comment: Comment,
    params: Type.Optional(ParamValues),
    decision: Type.Optional(ShortId),
    answer: Type.Optional(StringEnum(['yes', 'no'] as const)),
    outcome: Type.Optional(StringEnum(['succeeded', 'failed'] as const)),
  },
  { additionalProperties: false },
);

const RunnerIdentity = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    labels: Type.Record(Type.String({ pattern: '^[a-z0-9_.-]{1,63}$' }), Type.String({ maxLength: 200 }), { maxProperties: 50 }),
    version: Type.Optional(Type.String({ maxLength: 50 })),
  },
  { additionalProperties: false },
);
const ClaimBody = Type.Object(
  {
    runner: RunnerIdentity,
    claim: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }),
    waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000 })),
  },
  { additionalProperties: false },
);
const OutputBody = Type.Object(
  {
    chunks: Type.Array(
      Type.Object(
        {
          seq: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }),
          stream: StringEnum(['stdout', 'stderr'] as const),
          text: Type.String({ maxLength: MAX_OUTPUT_CHUNK_CHARS }),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_OUTPUT_CHUNKS_PER_REPORT },
    ),
  },
  { additionalProperties: false },
);
/**
 * A type list, not anyOf: with type coercion on, anyOf would turn null into "" or 0
 * on its first branch; a list coerces only when no listed type matches.
 */
const Nullable = <T>(schema: Record<string, unknown>) => Type.Unsafe<T | null>(schema);
const FinishBody = Type.Object(
  {
    exitCode: Nullable<number>({ type: ['integer', 'null'], minimum: -1024, maximum: 1024 }),
    signal: Nullable<string>({ type: ['string', 'null'], maxLength: 20 }),
    timedOut: Type.Boolean(),
    cancelled: Type.Boolean(),
    error: Nullable<string>({ type: ['string', 'null'], maxLength: 4000 }),
    lastSeq: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
    durationMs: Type.Integer({ minimum: 0, maximum: 2 ** 47 }),
  },
  { additionalProperties: false },
);
const AbandonBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });
const ControlReply = Type.Object({ cancel: Type.Boolean(), leaseUntil: Type.Number() });
const AssignmentParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** Turns the route's action and body into the domain's step action; a missing field is a 400. */
function stepAction(action: string, body: Static<typeof StepActionBody>): StepAction {
  switch (action) {
    case 'answer':
      if (body.decision === undefined || body.answer === undefined) throw missing('answer needs "decision" and "answer" (yes or no)');
      return { action, decision: body.decision, answer: body.answer };
    case 'complete':
      if (body.outcome === undefined) throw missing('complete needs "outcome": succeeded or failed');
      return { action, outcome: body.outcome, comment: body.comment };
    case 'start':
    case 'retry':
      return { action, params: body.params, comment: body.comment };
    default:
      return { action: action as 'approve' | 'reject' | 'skip' | 'cancel', comment: body.comment };
  }
}

const missing = (message: string) => invalid(message, { field: 'body' });

export const runRoutes =
  (services: Services, hub: RunnerHub): FastifyPluginAsyncTypebox =>
  async (app) => {
    const ctx = (actor: Parameters<typeof withActor>[1]) => withActor(services, actor);

    app.get(
      '/runbooks',
      { config: { action: 'runs.read' }, schema: { tags: ['runbooks'], summary: 'The runbooks of runbooks.paths', response: { 200: Type.Object({ items: Type.Array(AnyObject) }), ...errorResponses() } } },
      async (request) => ({ items: listRunbooks(ctx(request.actor)) }),
    );
    app.get(
      '/runbooks/:id',
      {
        config: { action: 'runs.read' },
        schema: { tags: ['runbooks'], summary: 'One runbook: sections, scenarios, steps, parameters, decisions', params: Type.Object({ id: ShortId }, { additionalProperties: false }), response: { 200: Type.Object({ runbook: AnyObject }), ...errorResponses(404) } },
      },
      async (request) => ({ runbook: getRunbook(ctx(request.actor), request.params.id) }),
    );
    app.get(
      '/incidents/:id/runbooks',
      {
        config: { action: 'runs.read' },
        schema: { tags: ['runbooks'], summary: "The runbooks an incident's alerts call for", params: IdParams, response: { 200: Type.Object({ items: Type.Array(AnyObject) }), ...errorResponses(404) } },
      },
      async (request) => ({ items: await runbooksForIncident(ctx(request.actor), request.params.id) }),
    );

    app.post(
      '/runs',
      {
        config: { action: 'runs.write' },
        schema: {
          tags: ['runs'],
          summary: 'Start a run of a runbook (or, with dryRun, show what it would do)',
          body: CreateRunBody,
          response: { 200: AnyObject, 201: Type.Object({ run: AnyObject }), ...errorResponses(404) },
        },
      },
      async (request, reply) => {
        const result = await createRun(ctx(request.actor), request.body);
        if ('dryRun' in result) return reply.status(200).send(result);
        return reply.status(201).header('location', `/api/v1/runs/${result.id}`).send({ run: result });
      },
    );
    app.get(
      '/runs',
      { config: { action: 'runs.read' }, schema: { tags: ['runs'], summary: 'Runs, newest first', querystring: RunsQuery, response: { 200: Type.Object({ items: Type.Array(AnyObject), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() } } },
      async (request) => {
        const page = await listRuns(ctx(request.actor), { incident: request.query.incident, before: request.query.cursor, limit: request.query.limit });
        return { items: page.items, nextCursor: page.nextCursor };
      },
    );
    app.get(
      '/runs/:id',
      { config: { action: 'runs.read' }, schema: { tags: ['runs'], summary: 'A run with its steps, approvals and output', params: IdParams, response: { 200: Type.Object({ run: AnyObject }), ...errorResponses(404) } } },
      async (request) => ({ run: (await getRun(ctx(request.actor), request.params.id)) }),
    );
    app.post(
      '/runs/:id/cancel',
      {
        config: { action: 'runs.write' },
        schema: { tags: ['runs'], summary: 'Cancel every step that has not ended', params: IdParams, body: Type.Object({ comment: Comment }, { additionalProperties: false }), response: { 200: Type.Object({ run: AnyObject }), ...errorResponses(404) } },
      },
      async (request) => ({ run: (await cancelRun(ctx(request.actor), request.params.id, request.body.comment)) }),
    );
    app.post(
      '/runs/:id/steps/:step/:action',
      {
        config: { action: 'runs.write' },
        schema: {
          tags: ['runs'],
          summary: 'Act on a step: start, approve, reject, skip, retry, cancel, answer (a decision) or complete (a step done by hand)',
          params: StepActionParams,
          body: StepActionBody,
          response: { 200: Type.Object({ run: AnyObject }), ...errorResponses(404, 409) },
        },
      },
      async (request) => {
        const action = stepAction(request.params.action, request.body);
        return { run: (await actOnStep(ctx(request.actor), request.params.id, request.params.step, action)) };
      },
    );
    app.get(
      '/runs/:id/steps/:step/output',
      {
        config: { action: 'runs.read' },
        schema: { tags: ['runs'], summary: "The step's stored output, as text", params: StepParams, response: errorResponses(404) },
      },
      async (request, reply) => {
        const run = await getRun(ctx(request.actor), request.params.id);
        const step = run.steps.find((s) => s.id === request.params.step);
        if (!step) throw notFound('Step', `${request.params.id}/${request.params.step}`);
        return reply.type('text/plain; charset=utf-8').send(step.output.text);
      },
    );

    // The runner protocol (runbooks/protocol.ts): runner tokens only.
    app.post(
      '/runner/claim',
      { config: { action: 'runner.work' }, schema: { tags: ['runner'], summary: 'Wait for a step to run (long poll); 204 when none came', body: ClaimBody, response: { 200: Type.Object({ assignment: AnyObject }), 204: Type.Null(), ...errorResponses() } } },
      async (request, reply) => {
        const aborted = new AbortController();
        request.raw.once('close', () => aborted.abort());
        reply.raw.once('close', () => aborted.abort());
        const assignment = await hub.claim(ctx(request.actor), request.body, aborted.signal);
        if (!assignment) return reply.status(204).send(null);
        return { assignment: assignment };
      },
    );
    app.post(
      '/runner/assignments/:id/output',
      { config: { action: 'runner.work' }, schema: { tags: ['runner'], summary: 'Output of a running step', params: AssignmentParams, body: OutputBody, response: { 200: ControlReply, ...errorResponses(409) } } },
      async (request) => reportOutput(ctx(request.actor), request.params.id, request.body),
    );
    app.post(
      '/runner/assignments/:id/heartbeat',
      { config: { action: 'runner.work' }, schema: { tags: ['runner'], summary: 'The step still runs; renews the lease', params: AssignmentParams, response: { 200: ControlReply, ...errorResponses(409) } } },
      async (request) => heartbeat(ctx(request.actor), request.params.id),
    );
    app.post(
      '/runner/assignments/:id/finish',
      { config: { action: 'runner.work' }, schema: { tags: ['runner'], summary: 'How the step ended', params: AssignmentParams, body: FinishBody, response: { 200: ControlReply, ...errorResponses(409) } } },
      async (request) => finishStep(ctx(request.actor), request.params.id, request.body),
    );
    app.post(
      '/runner/assignments/:id/abandon',
      { config: { action: 'runner.work' }, schema: { tags: ['runner'], summary: 'The runner lost track of the step (it restarted)', params: AssignmentParams, body: AbandonBody, response: { 200: ControlReply, ...errorResponses(409) } } },
      async (request) => abandonStep(ctx(request.actor), request.params.id, request.body),
    );
  };
