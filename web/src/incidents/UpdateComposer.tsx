import { useEffect, useState } from 'react';
import { seg } from '../api/client.ts';
import { useAction, useQuery } from '../api/hooks.ts';
import type { Incident, Template } from '../api/types.ts';
import { useApp } from '../app/context.tsx';
import { Button, Checkbox, Field, Select, TextArea, TextInput } from '../ui/controls.tsx';
import { ErrorNotice } from '../ui/feedback.tsx';

type Variable = { name: string; value: string };

/** A stakeholder update: free text or a template with its variables, previewed before it goes out. */
export function UpdateComposer({ incident, onPosted }: { incident: Incident; onPosted(next: Incident): void }) {
  const { api, toast } = useApp();
  const templates = useQuery(() => api.get<{ items: Template[] }>('/templates'), []);
  const [template, setTemplate] = useState('');
  const [message, setMessage] = useState('');
  const [vars, setVars] = useState<Variable[]>([{ name: 'eta', value: '' }]);
  const [publish, setPublish] = useState(false);
  const [preview, setPreview] = useState<string | null>(null);
  const [open, setOpen] = useState(false);

  const varsObject = () => Object.fromEntries(vars.filter((v) => v.name.trim() && v.value.trim()).map((v) => [v.name.trim(), v.value]));
  const render = useAction(() => api.post<{ text: string; variant: string | null }>(`/templates/${seg(template)}/preview`, { incident: incident.id, vars: varsObject() }));
  const post = useAction(() =>
    api.post<{ incident: Incident }>(`/incidents/${seg(incident.id)}/updates`, template ? { template, vars: varsObject(), public: publish } : { message: message.trim(), public: publish }),
  );

  // A preview belongs to what it was made from.
  useEffect(() => setPreview(null), [template, vars]);

  const usable = (templates.data?.items ?? []).filter((t) => t.general || t.severities.some((s) => s.toLowerCase() === incident.severity.toLowerCase()));
  const ready = template ? true : message.trim() !== '';

  if (!open) {
    return (
      <div className="panel compose-closed">
        <Button variant="primary" onClick={() => setOpen(true)}>
          Post an update
        </Button>
        <span className="muted small">{incident.lastUpdateAt ? 'Updates restart the update clock.' : 'The first update meets the stakeholder-notification clock.'}</span>
      </div>
    );
  }
  return (
    <section className="panel" aria-labelledby="compose-title">
      <h2 id="compose-title">Post an update</h2>
      <div className="form">
        <Field label="Template" hint={template ? 'Rendered with this incident; the severity\'s own version is used when there is one.' : 'Or write the update yourself.'}>
          {(props) => (
            <Select {...props} value={template} onChange={(e) => setTemplate(e.target.value)}>
              <option value="">No template: write it</option>
              {usable.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                  {t.severities.length > 0 ? ` (${t.severities.join(', ')})` : ''}
                </option>
              ))}
            </Select>
          )}
        </Field>
        {template ? (
          <fieldset className="field">
            <legend>Variables</legend>
            {vars.map((variable, index) => (
              <div key={index} className="var-row">
                <TextInput aria-label="Variable name" value={variable.name} placeholder="name" onChange={(e) => setVars(vars.map((v, i) => (i === index ? { ...v, name: e.target.value } : v)))} />
                <TextInput aria-label={`Value of ${variable.name || 'the variable'}`} value={variable.value} placeholder="value" onChange={(e) => setVars(vars.map((v, i) => (i === index ? { ...v, value: e.target.value } : v)))} />
                <Button variant="ghost" aria-label="Remove variable" onClick={() => setVars(vars.filter((_, i) => i !== index))}>
                  ×
                </Button>
              </div>
            ))}
            <Button variant="ghost" onClick={() => setVars([...vars, { name: '', value: '' }])}>
              Add variable
            </Button>
          </fieldset>
        ) : (
          <Field label="Message">{(props) => <TextArea {...props} rows={4} value={message} onChange={(e) => setMessage(e.target.value)} />}</Field>
        )}
        <Checkbox label="Also on the public status page" checked={publish} onChange={(e) => setPublish(e.target.checked)} />
        <ErrorNotice error={render.error ?? post.error} />
        {preview !== null && (
          <figure className="preview">
            <figcaption>Preview</figcaption>
            <pre>{preview}</pre>
          </figure>
        )}
        <div className="actions">
          {template && (
            <Button
              onClick={async () => {
                const rendered = await render.run();
                if (rendered) setPreview(rendered.text);
              }}
              busy={render.busy}
            >
              Preview
            </Button>
          )}
          <Button
            variant="primary"
            disabled={!ready}
            busy={post.busy}
            onClick={async () => {
              const answer = await post.run();
              if (!answer) return;
              onPosted(answer.incident);
              toast(publish ? 'Update posted, also on the status page' : 'Update posted');
              setMessage('');
              setPreview(null);
              setOpen(false);
            }}
          >
            Post update
          </Button>
          <Button variant="ghost" onClick={() => setOpen(false)}>
            Cancel
          </Button>
        </div>
      </div>
    </section>
  );
}
