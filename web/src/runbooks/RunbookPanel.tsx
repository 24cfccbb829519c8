import { useCallback, useEffect, useRef, useState } from 'react';
import { seg, type ApiError } from '../api/client.ts';
import { useAction, useQuery, useThrottled } from '../api/hooks.ts';
import type { DryRun, Incident, Run, RunbookDetail, RunbookSummary, StepView } from '../api/types.ts';
import { useApp, useLive } from '../app/context.tsx';
import { StateBadge } from '../ui/badges.tsx';
import { Button, Field, Select, TextInput } from '../ui/controls.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { formatDuration, Time } from '../ui/time.tsx';

/**
 * The incident's runbooks and their runs: start a run (after a dry run that
 * shows every command as it will run), start steps one by one, approve or
 * refuse what others asked to run, answer decision points, and watch output
 * arrive as the runner sends it.
 */
export default function RunbookPanel({ incident, runs, runsError, reloadRuns }: { incident: Incident; runs: Run[] | null; runsError: ApiError | null; reloadRuns(): void }) {
  const { api, can } = useApp();
  const suggested = useQuery(() => api.get<{ items: Array<RunbookSummary & { alerts: string[] }> }>(`/incidents/${seg(incident.id)}/runbooks`), [incident.id]);
  const all = useQuery(() => api.get<{ items: RunbookSummary[] }>('/runbooks'), []);
  const [starting, setStarting] = useState<string | null>(null);
  const [other, setOther] = useState('');

  const suggestedIds = new Set((suggested.data?.items ?? []).map((r) => r.id));
  const others = (all.data?.items ?? []).filter((r) => !suggestedIds.has(r.id));
  const writable = can('runs.write');
  return (
    <section className="panel runbooks" aria-labelledby="runbooks-title">
      <h2 id="runbooks-title">Runbooks</h2>
      <ErrorNotice error={suggested.error ?? runsError} />
      {suggested.data && suggested.data.items.length > 0 ? (
        <ul className="list">
          {suggested.data.items.map((runbook) => (
            <li key={runbook.id} className="list-line">
              <div>
                <strong>{runbook.title}</strong>
                <div className="muted small">
                  for {runbook.alerts.join(', ')} · {runbook.steps} steps{runbook.scenarios.length > 0 && ` · ${runbook.scenarios.length} scenarios`}
                </div>
              </div>
              {writable && (
                <Button variant="primary" onClick={() => setStarting(runbook.id)}>
                  Run…
                </Button>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">The incident's alerts name no runbook.</p>
      )}
      {writable && others.length > 0 && (
        <div className="inline-form">
          <label htmlFor="other-runbook" className="visually-hidden">
            Another runbook
          </label>
          <Select id="other-runbook" value={other} onChange={(e) => setOther(e.target.value)}>
            <option value="">Another runbook…</option>
            {others.map((runbook) => (
              <option key={runbook.id} value={runbook.id}>
                {runbook.title}
              </option>
            ))}
          </Select>
          <Button disabled={!other} onClick={() => setStarting(other)}>
            Run…
          </Button>
        </div>
      )}
      {runs === null ? (
        <Skeleton rows={2} />
      ) : runs.length === 0 ? (
        <Empty>No runs yet: a run starts nothing until someone starts its steps.</Empty>
      ) : (
        runs.map((run, index) => <RunCard key={run.id} initial={run} expanded={index === 0} />)
      )}
      {starting && (
        <StartRunDialog
          runbookId={starting}
          incident={incident}
          onClose={() => setStarting(null)}
          onStarted={() => {
            setStarting(null);
            reloadRuns();
          }}
        />
      )}
    </section>
  );
}

function StartRunDialog({ runbookId, incident, onClose, onStarted }: { runbookId: string; incident: Incident; onClose(): void; onStarted(run: Run): void }) {
  const { api, toast } = useApp();
  const detail = useQuery(() => api.get<{ runbook: RunbookDetail }>(`/runbooks/${seg(runbookId)}`), [runbookId]);
  const [scenario, setScenario] = useState('');
  const [params, setParams] = useState<Record<string, string>>({});
  const [plan, setPlan] = useState<DryRun | null>(null);
  const body = () => ({
    runbook: runbookId,
    incident: incident.id,
    ...(scenario && { scenario }),
    params: Object.fromEntries(Object.entries(params).filter(([, value]) => value !== '')),
  });
  const preview = useAction(() => api.post<DryRun>('/runs', { ...body(), dryRun: true }));
  const start = useAction(() => api.post<{ run: Run }>('/runs', body()));
  useEffect(() => setPlan(null), [scenario, params]);

  const runbook = detail.data?.runbook;
  return (
    <Dialog
      open
      wide
      title={runbook ? `Run: ${runbook.title}` : 'Run a runbook'}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            onClick={async () => {
              const shown = await preview.run();
              if (shown) setPlan(shown);
            }}
            busy={preview.busy}
          >
            Dry run
          </Button>
          <Button
            variant="primary"
            busy={start.busy}
            onClick={async () => {
              const created = await start.run();
              if (!created) return;
              toast(`Run of ${created.run.runbook.title} ready: start its steps one by one`);
              onStarted(created.run);
            }}
          >
            Create run
          </Button>
        </>
      }
    >
      {!runbook ? (
        <Skeleton rows={3} />
      ) : (
        <div className="form">
          <p className="muted">Creating a run starts nothing: each step is started by a person, and steps that need approval wait for someone else's.</p>
          {runbook.scenarios.length > 0 && (
            <Field label="Scenario" hint="The common steps run in every scenario.">
              {(props) => (
                <Select {...props} value={scenario} onChange={(e) => setScenario(e.target.value)}>
                  <option value="">Common steps only</option>
                  {runbook.scenarios.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.label} ({s.steps.length} steps)
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          )}
          {runbook.parameters.map((parameter) => (
            <Field key={parameter.name} label={parameter.name} hint={`Reaches the commands as the environment variable ${parameter.name}, never as code${parameter.defaultValue !== null ? `; default ${parameter.defaultValue}` : ''}.`}>
              {(props) => <TextInput {...props} required={parameter.required} value={params[parameter.name] ?? ''} onChange={(e) => setParams({ ...params, [parameter.name]: e.target.value })} />}
            </Field>
          ))}
          <ErrorNotice error={preview.error ?? start.error ?? detail.error} />
          {plan && (
            <div className="dry-run" aria-label="Dry run">
              <h3>What will run</h3>
              <ol className="plan">
                {plan.steps.map((step) => (
                  <li key={step.id}>
                    <div className="list-line">
                      <strong>{step.title}</strong>
                      {step.approval.required && <span className="badge state state-awaiting-approval">needs approval</span>}
                      <span className="muted small">runner: {step.runner ?? 'any'}</span>
                    </div>
                    <pre className="code">{step.command}</pre>
                    {Object.keys(step.env).length > 0 && <EnvTable env={step.env} />}
                    {step.missingParameters.length > 0 && (
                      <p className="notice notice-warning">
                        Needs {step.missingParameters.join(', ')}: starting this step will be refused until {step.missingParameters.length === 1 ? 'it has a value' : 'they have values'}. Fill {step.missingParameters.length === 1 ? 'it' : 'them'} in above.
                      </p>
                    )}
                    {step.decisions.map((decision) => (
                      <p key={decision.id} className="muted small">
                        {decision.gatesStep ? 'Runs only on yes to' : 'Asks'}: {decision.question}
                      </p>
                    ))}
                  </li>
                ))}
              </ol>
            </div>
          )}
        </div>
      )}
    </Dialog>
  );
}

function EnvTable({ env }: { env: Record<string, string> }) {
  return (
    <table className="table compact env">
      <caption className="visually-hidden">Environment</caption>
      <tbody>
        {Object.entries(env).map(([name, value]) => (
          <tr key={name}>
            <th scope="row">
              <code>{name}</code>
            </th>
            <td>
              <code>{value}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const ENDED = new Set(['completed', 'cancelled']);

/** The room's list leaves output out: no text, so no chunk of it either. */
const withoutOutput = (run: Run): Run => ({ ...run, steps: run.steps.map((step) => ({ ...step, output: { ...step.output, text: '', lastSeq: 0 } })) });

/** A read answered before live chunks it crossed keeps the longer output already shown. */
function withShownOutput(shown: Run, read: Run): Run {
  return {
    ...read,
    steps: read.steps.map((step) => {
      const before = shown.steps.find((s) => s.id === step.id);
      return before && before.attempt === step.attempt && before.output.lastSeq > step.output.lastSeq ? { ...step, output: before.output } : step;
    }),
  };
}

/**
 * One run, read whole and read again on each step change, with output appended
 * live as the runner sends it in between. A read says which chunk its output
 * ends with (lastSeq), so a live chunk already in it is not shown twice.
 */
function RunCard({ initial, expanded }: { initial: Run; expanded: boolean }) {
  const { api } = useApp();
  const [run, setRun] = useState(() => withoutOutput(initial));
  const [open, setOpen] = useState(expanded && !ENDED.has(initial.state));
  const show = useCallback((read: Run) => setRun((current) => withShownOutput(current, read)), []);
  const refetch = useThrottled(() => {
    api.get<{ run: Run }>(`/runs/${seg(initial.id)}`).then((answer) => show(answer.run), () => undefined);
  }, 300);
  useEffect(refetch, [refetch]);

  useLive((event) => {
    if (event.data.runId !== run.id) return;
    if (event.type === 'run.output') {
      const { stepId, attempt, chunks } = event.data as { stepId: string; attempt: number; chunks: Array<{ seq: number; text: string }> };
      setRun((current) => ({
        ...current,
        steps: current.steps.map((step) => {
          if (step.id !== stepId || step.attempt !== attempt) return step;
          const fresh = chunks.filter((chunk) => chunk.seq > step.output.lastSeq).sort((a, b) => a.seq - b.seq);
          if (fresh.length === 0) return step;
          return { ...step, output: { ...step.output, text: step.output.text + fresh.map((chunk) => chunk.text).join(''), lastSeq: fresh[fresh.length - 1]!.seq } };
        }),
      }));
    } else if (event.type === 'run.step' || event.type === 'run.state') refetch();
  });

  const waiting = run.steps.filter((s) => s.state === 'awaiting-approval').length;
  const nextStep = run.steps.find((s) => s.state === 'pending')?.id;
  return (
    <article className="run" aria-label={`Run of ${run.runbook.title}`}>
      <button type="button" className="run-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="run-title">
          {run.runbook.title}
          {run.scenario && <span className="muted"> · {run.scenario}</span>}
        </span>
        <StateBadge state={run.state} />
        {waiting > 0 && <span className="badge state state-awaiting-approval">{waiting} awaiting approval</span>}
        <span className="muted small">
          {Object.entries(run.counts)
            .map(([state, n]) => `${n} ${state}`)
            .join(' · ')}
        </span>
      </button>
      {open && (
        <ol className="steps">
          {run.steps.map((step) => (
            <StepRow key={step.id} run={run} step={step} next={step.id === nextStep} onRun={show} />
          ))}
        </ol>
      )}
    </article>
  );
}

/** Steps that have ended: nothing more is asked of them (src/runs/changes.ts FINAL_STATES). */
const ENDED_STEPS = new Set<StepView['state']>(['succeeded', 'failed', 'skipped', 'cancelled']);

/** One step; its command is shown where a decision is due: the next step to start, and steps waiting for approval. */
function StepRow({ run, step, next, onRun }: { run: Run; step: StepView; next: boolean; onRun(run: Run): void }) {
  const { api, me, can, personName, toast } = useApp();
  const [showCommand, setShowCommand] = useState(next || step.state === 'awaiting-approval' || step.state === 'running');
  useEffect(() => {
    if (step.state === 'awaiting-approval' || step.state === 'running') setShowCommand(true);
  }, [step.state]);
  const output = useRef<HTMLPreElement>(null);
  const act = useAction(async (action: string, body: Record<string, unknown> = {}, done = action === 'answer' ? 'answered' : action) => {
    const answer = await api.post<{ run: Run }>(`/runs/${seg(run.id)}/steps/${seg(step.id)}/${action}`, body);
    onRun(answer.run);
    toast(`${step.title}: ${done}`);
  });

  // Follow the output as it grows, unless the reader scrolled up to read.
  useEffect(() => {
    const pre = output.current;
    if (pre && pre.scrollHeight - pre.scrollTop - pre.clientHeight < 60) pre.scrollTop = pre.scrollHeight;
  }, [step.output.text]);

  const writable = can('runs.write');
  const mine = step.approval.requestedBy === me.actor;
  const approvals = step.approval.decisions.filter((d) => d.attempt === step.attempt && d.decision === 'approved');
  const mayApprove = writable && !mine && step.approval.approverRoles.includes(me.role) && !approvals.some((d) => d.by === me.actor);
  // An ended step asks nothing more (the server refuses answers to it).
  const openDecisions = ENDED_STEPS.has(step.state) ? [] : step.decisions.filter((d) => d.answer === null);
  return (
    <li className={`step step-${step.state}`} data-step={step.id} data-state={step.state}>
      <div className="step-head">
        <span className="step-number">{step.position + 1}</span>
        <span className="step-title">{step.title}</span>
        <StateBadge state={step.state} />
        {step.attempt > 1 && <span className="muted small">attempt {step.attempt}</span>}
        {step.durationMs !== null && <span className="muted small">{formatDuration(step.durationMs)}</span>}
        {step.ranOn && <span className="muted small">on {step.ranOn.name}</span>}
      </div>
      {step.approval.required && (
        <div className="approval">
          {step.state === 'awaiting-approval' ? (
            <p>
              <strong>{personName(step.approval.requestedBy)}</strong> asked to run this <Time at={step.approval.requestedAt} relative />. It needs {step.approval.needed} approval
              {step.approval.needed === 1 ? '' : 's'} from {step.approval.approverRoles.join(' or ')}, not the requester
              {approvals.length > 0 && `; ${approvals.length} so far (${approvals.map((d) => personName(d.by)).join(', ')})`}.
            </p>
          ) : (
            <p className="muted small">Needs approval: {step.approval.reason}</p>
          )}
          {step.approval.decisions.map((d) => (
            <p key={`${d.by}${d.at}`} className="muted small">
              {d.decision === 'approved' ? 'Approved' : d.decision === 'withdrawn' ? 'Withdrawn' : 'Refused'} by {personName(d.by)} <Time at={d.at} relative />
              {d.comment && `: ${d.comment}`}
            </p>
          ))}
        </div>
      )}
      <button type="button" className="link-button small" aria-expanded={showCommand} onClick={() => setShowCommand(!showCommand)}>
        {showCommand ? 'Hide command' : 'Show command'}
      </button>
      {showCommand && (
        <>
          <pre className="code" aria-label="Command that will run">
            {step.command}
          </pre>
          {Object.keys(step.env).length > 0 && <EnvTable env={step.env} />}
        </>
      )}
      {openDecisions.map((decision) => (
        <div key={decision.id} className="decision" role="group" aria-label={decision.question}>
          <span>{decision.question}</span>
          {writable && (
            <>
              <Button onClick={() => void act.run('answer', { decision: decision.id, answer: 'yes' })} busy={act.busy}>
                Yes
              </Button>
              <Button onClick={() => void act.run('answer', { decision: decision.id, answer: 'no' })} busy={act.busy}>
                No
              </Button>
            </>
          )}
        </div>
      ))}
      {writable && (
        <div className="actions">
          {step.state === 'pending' && (
            <Button variant="primary" onClick={() => void act.run('start')} busy={act.busy}>
              {step.approval.required ? 'Ask to run' : 'Run'}
            </Button>
          )}
          {step.state === 'awaiting-approval' && mayApprove && (
            <>
              <Button variant="primary" onClick={() => void act.run('approve')} busy={act.busy}>
                Approve
              </Button>
              <Button variant="danger" onClick={() => void act.run('reject')} busy={act.busy}>
                Refuse
              </Button>
            </>
          )}
          {step.state === 'awaiting-approval' && mine && (
            <>
              <span className="muted small">Waiting for someone else to approve.</span>
              {/* The server takes the requester's refusal as withdrawing the request: the step is pending again. */}
              <Button variant="ghost" onClick={() => void act.run('reject', {}, 'request withdrawn')} busy={act.busy}>
                Withdraw request
              </Button>
            </>
          )}
          {step.state === 'running' && step.byPerson && (
            <>
              <Button variant="primary" onClick={() => void act.run('complete', { outcome: 'succeeded' })} busy={act.busy}>
                Done
              </Button>
              <Button onClick={() => void act.run('complete', { outcome: 'failed' })} busy={act.busy}>
                It failed
              </Button>
            </>
          )}
          {(step.state === 'queued' || step.state === 'running') && (
            <Button onClick={() => void act.run('cancel')} busy={act.busy}>
              Cancel
            </Button>
          )}
          {['failed', 'unknown', 'cancelled'].includes(step.state) && (
            <Button onClick={() => void act.run('retry')} busy={act.busy}>
              Retry
            </Button>
          )}
          {['pending', 'failed', 'unknown', 'awaiting-approval'].includes(step.state) && (
            <Button variant="ghost" onClick={() => void act.run('skip')} busy={act.busy}>
              Skip
            </Button>
          )}
        </div>
      )}
      <ErrorNotice error={act.error} onDismiss={act.clearError} />
      {(step.output.text !== '' || step.state === 'running') && (
        <pre ref={output} className="output" aria-label={`Output of ${step.title}`} aria-live="polite">
          {step.output.text || 'Waiting for output…'}
          {step.output.truncated && '\n… (output beyond the limit was not kept)'}
        </pre>
      )}
      {(step.exitCode !== null || step.error) && (
        <p className={`small ${step.state === 'failed' ? 'text-danger' : 'muted'}`}>
          {step.exitCode !== null && `exit code ${step.exitCode}`}
          {step.timedOut && ' · timed out'}
          {step.error && ` · ${step.error}`}
        </p>
      )}
    </li>
  );
}
