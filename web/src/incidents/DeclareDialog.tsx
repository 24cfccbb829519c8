import { useEffect, useState, type FormEvent } from 'react';
import { useAction } from '../api/hooks.ts';
import type { Incident, SeverityLevel } from '../api/types.ts';
import { useApp } from '../app/context.tsx';
import { navigate } from '../app/router.tsx';
import { Button, Field, Select, TextArea, TextInput } from '../ui/controls.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { ErrorNotice } from '../ui/feedback.tsx';
import { CLOCK_LABELS } from './clocks.tsx';
import { PersonOptions, ServiceCheckboxes, SeverityOptions } from '../ui/options.tsx';

/** The severity's response targets, so whoever declares sees what they commit the team to. */
export function SlaTargets({ level }: { level: SeverityLevel | undefined }) {
  const targets = Object.entries(level?.sla ?? {});
  if (!level) return null;
  return (
    <div className="sla-targets" aria-live="polite">
      <strong>
        {level.id} — {level.name}
      </strong>
      {level.description && <span className="muted"> {level.description}</span>}
      {targets.length === 0 ? (
        <p className="muted">No SLA targets.</p>
      ) : (
        <dl className="targets">
          {targets.map(([kind, target]) => (
            <div key={kind}>
              <dt>{kind === 'updateCadence' ? 'Updates every' : (CLOCK_LABELS[kind] ?? kind)}</dt>
              <dd>{target}</dd>
            </div>
          ))}
        </dl>
      )}
      {level.authorization && <p className="muted small">Authorization: {level.authorization}</p>}
    </div>
  );
}

export function DeclareDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const { api, config, toast } = useApp();
  const [title, setTitle] = useState('');
  const [severity, setSeverity] = useState('');
  const [services, setServices] = useState<string[]>([]);
  const [summary, setSummary] = useState('');
  const [commander, setCommander] = useState('');
  const declare = useAction((body: Record<string, unknown>) => api.post<Incident>('/incidents', body));

  useEffect(() => {
    if (!open) return;
    setTitle('');
    // The least severe level first: nobody should declare a P0 by pressing Enter.
    setSeverity(config.severities.at(-1)?.id ?? '');
    setServices([]);
    setSummary('');
    setCommander('');
    declare.clearError();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reset each time the dialog opens
  }, [open]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const incident = await declare.run({
      title: title.trim(),
      severity,
      services,
      ...(summary.trim() && { summary: summary.trim() }),
      ...(commander && { commander }),
    });
    if (!incident) return;
    toast(`Declared ${incident.severity}: ${incident.title}`);
    onClose();
    navigate(`/incidents/${incident.id}`);
  };

  const problem = (field: string) => declare.error?.fieldProblems.find((p) => p.field === field)?.message ?? null;
  return (
    <Dialog
      open={open}
      title="Declare an incident"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="declare-form" busy={declare.busy}>
            Declare
          </Button>
        </>
      }
    >
      <form id="declare-form" onSubmit={submit} className="form">
        <ErrorNotice error={declare.error} />
        <Field label="Title" problem={problem('title')}>
          {(props) => <TextInput {...props} required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} placeholder="What is broken, for whom" autoFocus />}
        </Field>
        <Field label="Severity" problem={problem('severity')}>
          {(props) => (
            <Select {...props} value={severity} onChange={(e) => setSeverity(e.target.value)}>
              <SeverityOptions />
            </Select>
          )}
        </Field>
        <SlaTargets level={config.severities.find((level) => level.id === severity)} />
        <ServiceCheckboxes legend="Services affected" selected={services} onChange={setServices} />
        <Field label="Summary" hint="Optional: what is known so far">
          {(props) => <TextArea {...props} rows={3} value={summary} onChange={(e) => setSummary(e.target.value)} />}
        </Field>
        <Field label="Commander" hint="Optional: who leads the response">
          {(props) => (
            <Select {...props} value={commander} onChange={(e) => setCommander(e.target.value)}>
              <option value="">Nobody yet</option>
              <PersonOptions />
            </Select>
          )}
        </Field>
      </form>
    </Dialog>
  );
}
