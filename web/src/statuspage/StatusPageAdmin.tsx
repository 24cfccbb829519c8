import { useState } from 'react';
import { seg } from '../api/client.ts';
import { useAction, useQuery, useThrottled } from '../api/hooks.ts';
import type { Component, ComponentStatus, Maintenance } from '../api/types.ts';
import { useApp, useLive } from '../app/context.tsx';
import { StateBadge } from '../ui/badges.tsx';
import { Button, Field, Select, TextArea, TextInput } from '../ui/controls.tsx';
import { ServiceCheckboxes } from '../ui/options.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { Time, toLocalInput } from '../ui/time.tsx';
import { useTitle } from '../app/router.tsx';

const STATUSES: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

export default function StatusPageAdmin() {
  const { api, can, serviceName, toast } = useApp();
  const components = useQuery(() => api.get<{ items: Component[] }>('/status/components'), []);
  const maintenances = useQuery(() => api.get<{ items: Maintenance[] }>('/status/maintenances'), []);
  // The public page is cached for 30 s: after a change the preview asks for a fresh copy under a new address.
  const [previewKey, setPreviewKey] = useState(() => Date.now());
  const refreshPreview = () => setPreviewKey(Date.now());
  const writable = can('status.manage');
  useTitle('Status page');

  const setStatus = useAction(async (service: string, status: ComponentStatus | null) => {
    const next = await api.put<Component>(`/status/components/${seg(service)}`, { status });
    components.setData((current) => current && { items: current.items.map((c) => (c.service === service ? next : c)) });
    toast(status ? `${serviceName(service)}: ${STATUSES[status]}` : `${serviceName(service)}: derived from incidents again`);
    refreshPreview();
  });
  const cancel = useAction(async (maintenance: Maintenance) => {
    await api.delete(`/status/maintenances/${seg(maintenance.id)}`);
    toast('Maintenance taken off the status page');
    await maintenances.reload();
    refreshPreview();
  });
  // Changes made elsewhere (another person, the API) show too.
  const reloadAll = useThrottled(() => {
    void components.reload();
    void maintenances.reload();
    refreshPreview();
  }, 1000);
  useLive((event) => {
    if (event.type === 'status.changed') reloadAll();
  });

  return (
    <section className="page" aria-labelledby="status-title">
      <div className="page-header">
        <h1 id="status-title">Status page</h1>
        <a className="btn btn-default" href="/status" target="_blank" rel="noreferrer">
          Open the public page
        </a>
      </div>
      <div className="two-columns">
        <div>
          <section className="panel" aria-labelledby="components-title">
            <h2 id="components-title">Components</h2>
            <p className="muted small">Each service is a component. Left alone, its status follows its incidents; set one by hand to say more (or less).</p>
            <ErrorNotice error={components.error ?? setStatus.error} />
            {components.loading && !components.data ? (
              <Skeleton rows={4} />
            ) : (
              <ul className="list">
                {components.data?.items.map((component) => (
                  <li key={component.service} className="list-line">
                    <label htmlFor={`component-${component.service}`}>{serviceName(component.service)}</label>
                    {writable ? (
                      <Select
                        id={`component-${component.service}`}
                        value={component.override ?? ''}
                        disabled={setStatus.busy}
                        onChange={(e) => void setStatus.run(component.service, (e.target.value || null) as ComponentStatus | null)}
                      >
                        <option value="">From incidents</option>
                        {(Object.keys(STATUSES) as ComponentStatus[]).map((status) => (
                          <option key={status} value={status}>
                            {STATUSES[status]}
                          </option>
                        ))}
                      </Select>
                    ) : (
                      <span id={`component-${component.service}`}>{component.override ? STATUSES[component.override] : 'From incidents'}</span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="panel" aria-labelledby="maintenances-title">
            <h2 id="maintenances-title">Scheduled maintenances</h2>
            <ErrorNotice error={maintenances.error ?? cancel.error} />
            {maintenances.data?.items.length === 0 ? (
              <Empty>None announced.</Empty>
            ) : (
              <ul className="list">
                {maintenances.data?.items.map((m) => (
                  <li key={m.id}>
                    <div className="list-line">
                      <strong>{m.title}</strong>
                      <StateBadge state={m.status} />
                      {writable && (
                        <Button variant="ghost" onClick={() => void cancel.run(m)} busy={cancel.busy}>
                          Take off
                        </Button>
                      )}
                    </div>
                    <div className="muted small">
                      <Time at={m.scheduledFor} /> – <Time at={m.scheduledUntil} /> · {m.components.map(serviceName).join(', ')}
                    </div>
                  </li>
                ))}
              </ul>
            )}
            {writable && (
              <NewMaintenance
                onCreated={() => {
                  void maintenances.reload();
                  refreshPreview();
                }}
              />
            )}
          </section>
        </div>
        <section className="panel" aria-labelledby="preview-title">
          <h2 id="preview-title">Preview</h2>
          {/* The public route ignores query parameters it does not know. */}
          <iframe className="status-preview" src={`/status?preview=${previewKey}`} title="Preview of the public status page" />
        </section>
      </div>
    </section>
  );
}

function NewMaintenance({ onCreated }: { onCreated(): void }) {
  const { api, toast } = useApp();
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [components, setComponents] = useState<string[]>([]);
  const [from, setFrom] = useState(() => toLocalInput(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 86_400_000));
  const [until, setUntil] = useState(() => toLocalInput(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 86_400_000 + 2 * 3_600_000));
  const create = useAction(() =>
    api.post<Maintenance>('/status/maintenances', { title: title.trim(), body, components, scheduledFor: new Date(from).toISOString(), scheduledUntil: new Date(until).toISOString() }),
  );
  return (
    <form
      className="form subform"
      onSubmit={async (event) => {
        event.preventDefault();
        if (!(await create.run())) return;
        toast('Maintenance announced');
        setTitle('');
        setBody('');
        setComponents([]);
        onCreated();
      }}
    >
      <h3>Announce a maintenance</h3>
      <ErrorNotice error={create.error} />
      <Field label="Title">{(props) => <TextInput {...props} required value={title} onChange={(e) => setTitle(e.target.value)} />}</Field>
      <Field label="What will happen">{(props) => <TextArea {...props} rows={2} value={body} onChange={(e) => setBody(e.target.value)} />}</Field>
      <ServiceCheckboxes legend="Components" selected={components} onChange={setComponents} />
      <div className="two">
        <Field label="From (your time)">{(props) => <TextInput {...props} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />}</Field>
        <Field label="Until (your time)">{(props) => <TextInput {...props} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />}</Field>
      </div>
      <Button type="submit" variant="primary" busy={create.busy}>
        Announce
      </Button>
    </form>
  );
}
