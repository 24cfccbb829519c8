import { useEffect, useState } from 'react';
import { useAction } from '../api/hooks.ts';
import type { Alert, Silence } from '../api/types.ts';
import { useApp } from '../app/context.tsx';
import { Button, Field, Select, TextArea, TextInput } from '../ui/controls.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { ErrorNotice } from '../ui/feedback.tsx';

interface Row {
  use: boolean;
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Alertmanager's matcher text: the value quoted, with its quotes, backslashes and line breaks escaped. */
export const matcherText = (row: Pick<Row, 'name' | 'op' | 'value'>) => `${row.name}${row.op}"${row.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

const DURATIONS = ['30m', '1h', '2h', '4h', '8h', '1d', '3d', '1w'];

interface Preview {
  items: Alert[];
  matching: number;
  scanned: number;
  complete: boolean;
}

/**
 * A silence, prefilled from an alert's labels (the identifying ones ticked), with
 * a live preview of what it would silence before anything is stored.
 */
export function SilenceDialog({ alert, onClose }: { alert: Alert | null; onClose(): void }) {
  const { api, toast } = useApp();
  const [rows, setRows] = useState<Row[]>(() =>
    alert
      ? Object.entries(alert.labels).map(([name, value]) => ({ use: name === 'alertname' || name === 'instance' || name === 'service' || name === 'job', name, op: '=', value }))
      : [{ use: true, name: 'alertname', op: '=', value: '' }],
  );
  const [duration, setDuration] = useState('2h');
  const [comment, setComment] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const matchers = rows.filter((r) => r.use && r.name.trim() !== '').map(matcherText);
  const check = useAction((texts: string[]) => api.post<Preview>('/silences/preview', { matchers: texts }));
  const create = useAction(() => api.post<Silence>('/silences', { matchers, duration, comment: comment.trim() }));

  const key = matchers.join('\n');
  useEffect(() => {
    if (matchers.length === 0) {
      setPreview(null);
      return;
    }
    const timer = setTimeout(() => {
      void check.run(matchers).then((answer) => setPreview(answer ?? null));
    }, 300);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the matcher text is the dependency
  }, [key]);

  const update = (index: number, change: Partial<Row>) => setRows(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <Dialog
      open
      wide
      title={alert ? `Silence ${alert.name}` : 'New silence'}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            disabled={matchers.length === 0 || comment.trim() === ''}
            busy={create.busy}
            onClick={async () => {
              const silence = await create.run();
              if (!silence) return;
              toast(`Silenced for ${duration}: new matching alerts open no incident`);
              onClose();
            }}
          >
            Silence for {duration}
          </Button>
        </>
      }
    >
      <div className="form">
        <fieldset className="field">
          <legend>Matchers (all must match)</legend>
          {rows.map((row, index) => (
            <div key={index} className="matcher-row">
              <input type="checkbox" aria-label={`Use ${row.name || 'this matcher'}`} checked={row.use} onChange={(e) => update(index, { use: e.target.checked })} />
              <TextInput aria-label="Label name" value={row.name} onChange={(e) => update(index, { name: e.target.value })} />
              <Select aria-label="Operator" value={row.op} onChange={(e) => update(index, { op: e.target.value as Row['op'] })}>
                <option value="=">=</option>
                <option value="!=">!=</option>
                <option value="=~">=~ (regex)</option>
                <option value="!~">!~ (regex)</option>
              </Select>
              <TextInput aria-label={`Value of ${row.name || 'the label'}`} value={row.value} onChange={(e) => update(index, { value: e.target.value })} />
            </div>
          ))}
          <Button variant="ghost" onClick={() => setRows([...rows, { use: true, name: '', op: '=', value: '' }])}>
            Add matcher
          </Button>
        </fieldset>
        <Field label="For">
          {(props) => (
            <Select {...props} value={duration} onChange={(e) => setDuration(e.target.value)}>
              {DURATIONS.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Comment" hint="Why, and until when: the next person on call reads this.">
          {(props) => <TextArea {...props} rows={2} required value={comment} onChange={(e) => setComment(e.target.value)} />}
        </Field>
        <ErrorNotice error={check.error ?? create.error} />
        <section className="preview" aria-live="polite" aria-label="What it would silence">
          <h3>Would silence now</h3>
          {matchers.length === 0 ? (
            <p className="muted">Tick at least one matcher.</p>
          ) : check.error ? (
            // The refusal shows above; "Checking…" would say an answer is still coming.
            <p className="muted">Not checked.</p>
          ) : !preview ? (
            <p className="muted">Checking…</p>
          ) : (
            <>
              <p>
                <strong>{preview.matching}</strong> alert{preview.matching === 1 ? '' : 's'} not yet resolved
                {!preview.complete && ` (of the newest ${preview.scanned})`}
              </p>
              <ul className="list compact">
                {preview.items.slice(0, 10).map((a) => (
                  <li key={a.id}>
                    <code>{a.name}</code> <span className="muted small">{Object.entries(a.labels).map(([n, v]) => `${n}=${v}`).join(' ')}</span>
                  </li>
                ))}
              </ul>
              {preview.matching > 10 && <p className="muted small">and {preview.matching - 10} more</p>}
            </>
          )}
        </section>
      </div>
    </Dialog>
  );
}
