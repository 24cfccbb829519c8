import { useState, type FormEvent } from 'react';
import { seg } from '../api/client.ts';
import { useAction, useQuery } from '../api/hooks.ts';
import type { Account, Integration, SessionInfo, Token } from '../api/types.ts';
import { useApp } from '../app/context.tsx';
import { Link, useLocation, useTitle } from '../app/router.tsx';
import { StateBadge } from '../ui/badges.tsx';
import { Button, Field, Select, TextInput } from '../ui/controls.tsx';
import { Empty, ErrorNotice, Skeleton } from '../ui/feedback.tsx';
import { Time } from '../ui/time.tsx';
import { PersonOptions, ServiceOptions } from '../ui/options.tsx';

const TABS = [
  { id: 'account', label: 'Account', admin: false },
  { id: 'users', label: 'Users', admin: true },
  { id: 'tokens', label: 'API tokens', admin: true },
  { id: 'integrations', label: 'Integrations', admin: true },
] as const;

export default function SettingsPage() {
  const { can } = useApp();
  const { path } = useLocation();
  const admin = can('users.manage');
  const tabs = TABS.filter((tab) => admin || !tab.admin);
  useTitle('Settings');
  const current = tabs.find((tab) => path === `/settings/${tab.id}`)?.id ?? 'account';
  return (
    <section className="page" aria-labelledby="settings-title">
      <div className="page-header">
        <h1 id="settings-title">Settings</h1>
        <nav className="tabs" aria-label="Settings">
          {tabs.map((tab) => (
            <Link key={tab.id} to={`/settings/${tab.id}`} className="tab" aria-current={current === tab.id ? 'page' : undefined}>
              {tab.label}
            </Link>
          ))}
        </nav>
      </div>
      {current === 'account' && <AccountSettings />}
      {current === 'users' && <Users />}
      {current === 'tokens' && <Tokens />}
      {current === 'integrations' && <Integrations />}
    </section>
  );
}

function AccountSettings() {
  const { api, me, toast, personName } = useApp();
  const sessions = useQuery(() => api.get<{ items: SessionInfo[] }>('/sessions'), []);
  const revoke = useAction(async (session: SessionInfo) => {
    await api.delete(`/sessions/${seg(session.id)}`);
    toast('Session ended');
    await sessions.reload();
  });
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useAction(() => api.post<Account>('/session/password', { current, password: next }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await change.run()) {
      setCurrent('');
      setNext('');
      toast('Password changed; your other sessions have ended');
      void sessions.reload();
    }
  };
  return (
    <div className="two-columns">
      <section className="panel" aria-labelledby="me-title">
        <h2 id="me-title">{personName(me.actor)}</h2>
        <dl className="facts">
          <dt>Signed in as</dt>
          <dd>
            <code>{me.actor}</code>
          </dd>
          <dt>Role</dt>
          <dd>{me.role}</dd>
          {me.account && (
            <>
              <dt>Password changed</dt>
              <dd>
                <Time at={me.account.passwordChangedAt} relative />
              </dd>
            </>
          )}
        </dl>
        {me.account && (
          <form className="form subform" onSubmit={submit}>
            <h3>Change your password</h3>
            <ErrorNotice error={change.error} />
            <Field label="Current password">{(props) => <TextInput {...props} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />}</Field>
            <Field label="New password" hint="At least 10 characters; a passphrase is best.">
              {(props) => <TextInput {...props} type="password" autoComplete="new-password" required minLength={10} value={next} onChange={(e) => setNext(e.target.value)} />}
            </Field>
            <Button type="submit" variant="primary" busy={change.busy}>
              Change password
            </Button>
          </form>
        )}
      </section>
      <section className="panel" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Your sessions</h2>
        <ErrorNotice error={sessions.error ?? revoke.error} />
        {sessions.data?.items.length === 0 ? (
          <Empty>No sessions: you came in with an API token.</Empty>
        ) : (
          <SessionList items={sessions.data?.items ?? []} onEnd={(session) => void revoke.run(session)} busy={revoke.busy} />
        )}
      </section>
    </div>
  );
}

/** Open sessions, each with where it came from, its times and an End button (none for the one in use). */
function SessionList({ items, onEnd, busy }: { items: readonly SessionInfo[]; onEnd(session: SessionInfo): void; busy: boolean }) {
  return (
    <ul className="list">
      {items.map((session) => (
        <li key={session.id}>
          <div className="list-line">
            <span>
              {describeAgent(session.userAgent)} · {session.address}
            </span>
            {session.current ? (
              <span className="badge state state-active">this one</span>
            ) : (
              <Button onClick={() => onEnd(session)} busy={busy}>
                End
              </Button>
            )}
          </div>
          <div className="muted small">
            signed in <Time at={session.createdAt} relative />, last used <Time at={session.lastSeenAt} relative />, ends <Time at={session.expiresAt} relative />
          </div>
        </li>
      ))}
    </ul>
  );
}

/** An administrator's view of someone's sessions: a lost phone or a shared screen is ended from here. */
function AccountSessions({ account, onClose }: { account: Account; onClose(): void }) {
  const { api, toast } = useApp();
  const sessions = useQuery(() => api.get<{ items: SessionInfo[] }>(`/sessions?account=${encodeURIComponent(account.id)}`), [account.id]);
  const end = useAction(async (ended: readonly SessionInfo[]) => {
    for (const session of ended) await api.delete(`/sessions/${seg(session.id)}`);
    toast(ended.length === 1 ? `A session of ${account.username} ended` : `${ended.length} sessions of ${account.username} ended`);
    await sessions.reload();
  });
  const others = sessions.data?.items.filter((session) => !session.current) ?? [];
  return (
    <section className="subform" aria-labelledby="account-sessions-title">
      <h3 id="account-sessions-title">Sessions of {account.username}</h3>
      <ErrorNotice error={sessions.error ?? end.error} onDismiss={end.clearError} />
      {sessions.loading && !sessions.data ? (
        <Skeleton rows={2} />
      ) : sessions.data?.items.length === 0 ? (
        <Empty>{account.username} is not signed in anywhere.</Empty>
      ) : (
        <SessionList items={sessions.data?.items ?? []} onEnd={(session) => void end.run([session])} busy={end.busy} />
      )}
      <div className="actions">
        {others.length > 1 && (
          <Button variant="danger" onClick={() => void end.run(others)} busy={end.busy}>
            End all {others.length}
          </Button>
        )}
        <Button variant="ghost" onClick={onClose}>
          Close
        </Button>
      </div>
    </section>
  );
}

/** "Chrome on Linux" from a user agent, enough to tell one's own devices apart. */
function describeAgent(agent: string): string {
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : /curl\//.test(agent) ? 'curl' : 'Browser';
  const system = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Mac OS X/.test(agent) ? 'macOS' : /Windows/.test(agent) ? 'Windows' : /Linux/.test(agent) ? 'Linux' : '';
  return system ? `${browser} on ${system}` : browser;
}

function Users() {
  const { api, me, toast } = useApp();
  const users = useQuery(() => api.get<{ items: Account[] }>('/users'), []);
  const change = useAction(async (account: Account, body: Record<string, unknown>, message: string) => {
    const next = await api.patch<Account>(`/users/${seg(account.id)}`, body);
    users.setData((current) => current && { items: current.items.map((a) => (a.id === next.id ? next : a)) });
    toast(message);
    return next;
  });
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Account['role']>('responder');
  const [password, setPassword] = useState('');
  const create = useAction(() => api.post<Account>('/users', { username: username.trim(), role, password }));
  const [resetting, setResetting] = useState<{ account: Account; password: string } | null>(null);
  const [inspecting, setInspecting] = useState<Account | null>(null);

  return (
    <div className="two-columns">
      <section className="panel" aria-labelledby="users-title">
        <h2 id="users-title">People who sign in</h2>
        <ErrorNotice error={users.error ?? change.error} onDismiss={change.clearError} />
        {users.loading && !users.data ? (
          <Skeleton rows={3} />
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col" className="hide-narrow">
                    Last sign-in
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.data?.items.map((account) => {
                  const self = account.id === me.account?.id;
                  return (
                    <tr key={account.id}>
                      <td>
                        <strong>{account.name}</strong> <code>{account.username}</code>
                        {!account.person && <div className="muted small">not a person of the configuration: not paged, no on-call</div>}
                        {account.disabledAt && <StateBadge state="disabled" />}
                      </td>
                      <td>
                        <Select aria-label={`Role of ${account.username}`} value={account.role} disabled={self} onChange={(e) => void change.run(account, { role: e.target.value }, `${account.username} is now ${e.target.value}`)}>
                          <option value="viewer">viewer</option>
                          <option value="responder">responder</option>
                          <option value="admin">admin</option>
                        </Select>
                      </td>
                      <td className="hide-narrow">
                        <Time at={account.lastLoginAt} relative />
                      </td>
                      <td className="actions">
                        {!self && (
                          <Button onClick={() => void change.run(account, { disabled: !account.disabledAt }, account.disabledAt ? `${account.username} enabled` : `${account.username} disabled; their sessions ended`)}>
                            {account.disabledAt ? 'Enable' : 'Disable'}
                          </Button>
                        )}
                        {!self && (
                          // One's own password changes under Account, which asks for the current one.
                          <Button variant="ghost" onClick={() => setResetting({ account, password: '' })}>
                            New password
                          </Button>
                        )}
                        <Button variant="ghost" aria-label={`Sessions of ${account.username}`} onClick={() => setInspecting(account)}>
                          Sessions
                        </Button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        {inspecting && <AccountSessions key={inspecting.id} account={inspecting} onClose={() => setInspecting(null)} />}
        {resetting && (
          <form
            className="form subform"
            onSubmit={async (event) => {
              event.preventDefault();
              // Refused (too short, say): the form stays open; the API's reason shows at the top of the panel.
              if (await change.run(resetting.account, { password: resetting.password }, `New password for ${resetting.account.username}; their sessions ended`)) setResetting(null);
            }}
          >
            <h3>New password for {resetting.account.username}</h3>
            <Field label="Password" hint="Tell them in person or through a password manager; every session of the account ends.">
              {(props) => <TextInput {...props} type="password" autoComplete="new-password" required minLength={10} value={resetting.password} onChange={(e) => setResetting({ ...resetting, password: e.target.value })} />}
            </Field>
            <div className="actions">
              <Button type="submit" variant="primary" busy={change.busy}>
                Set password
              </Button>
              <Button variant="ghost" onClick={() => setResetting(null)}>
                Cancel
              </Button>
            </div>
          </form>
        )}
      </section>
      <form
        className="panel form"
        aria-labelledby="new-user-title"
        onSubmit={async (event) => {
          event.preventDefault();
          if (await create.run()) {
            toast(`Account ${username} created`);
            setUsername('');
            setPassword('');
            void users.reload();
          }
        }}
      >
        <h2 id="new-user-title">Add someone</h2>
        <ErrorNotice error={create.error} />
        <Field label="Username" hint="Their id under users: in the configuration, so the account is that person.">
          {(props) => (
            <>
              <TextInput {...props} list="people" required value={username} onChange={(e) => setUsername(e.target.value)} autoCapitalize="none" spellCheck={false} />
              <datalist id="people">
                <PersonOptions />
              </datalist>
            </>
          )}
        </Field>
        <Field label="Role">
          {(props) => (
            <Select {...props} value={role} onChange={(e) => setRole(e.target.value as Account['role'])}>
              <option value="viewer">viewer: reads everything</option>
              <option value="responder">responder: acts on incidents and runbooks</option>
              <option value="admin">admin: also manages people, tokens and integrations</option>
            </Select>
          )}
        </Field>
        <Field label="First password" hint="At least 10 characters. They can change it under Account.">
          {(props) => <TextInput {...props} type="password" autoComplete="new-password" required minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <Button type="submit" variant="primary" busy={create.busy}>
          Create account
        </Button>
      </form>
    </div>
  );
}

/** A secret shown once, with a button to copy it. */
function Secret({ label, value }: { label: string; value: string }) {
  const { toast } = useApp();
  return (
    <div className="secret" role="status">
      <strong>{label}</strong> — shown only now:
      <pre className="code">{value}</pre>
      <Button onClick={() => void navigator.clipboard?.writeText(value).then(() => toast('Copied'), () => toast('Copy it by hand', 'error'))}>Copy</Button>
    </div>
  );
}

function Tokens() {
  const { api, toast } = useApp();
  const tokens = useQuery(() => api.get<{ items: Token[] }>('/tokens'), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [secret, setSecret] = useState<string | null>(null);
  const create = useAction(() => api.post<{ token: string; record: Token }>('/tokens', { name: name.trim(), role }));
  const revoke = useAction(async (token: Token) => {
    await api.delete(`/tokens/${seg(token.id)}`);
    toast(`Token ${token.name} revoked`);
    await tokens.reload();
  });
  return (
    <div className="two-columns">
      <section className="panel" aria-labelledby="tokens-title">
        <h2 id="tokens-title">API tokens</h2>
        <p className="muted small">For machines and scripts: the CLI, CI, runners. People sign in instead.</p>
        <ErrorNotice error={tokens.error ?? revoke.error} />
        <ul className="list">
          {tokens.data?.items.map((token) => (
            <li key={token.id} className="list-line">
              <span>
                <strong>{token.name}</strong> <code>{token.prefix}…</code> <span className="muted small">{token.role}</span>
              </span>
              <span className="muted small">
                used <Time at={token.lastUsedAt} relative />
              </span>
              {token.revokedAt ? (
                <StateBadge state="revoked" />
              ) : (
                <Button onClick={() => void revoke.run(token)} busy={revoke.busy}>
                  Revoke
                </Button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <form
        className="panel form"
        aria-labelledby="new-token-title"
        onSubmit={async (event) => {
          event.preventDefault();
          const created = await create.run();
          if (!created) return;
          setSecret(created.token);
          setName('');
          void tokens.reload();
        }}
      >
        <h2 id="new-token-title">New token</h2>
        <ErrorNotice error={create.error} />
        <Field label="Name" hint="Who or what uses it: ci, grafana, runner-db1">
          {(props) => <TextInput {...props} required value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Role">
          {(props) => (
            <Select {...props} value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="viewer">viewer</option>
              <option value="responder">responder</option>
              <option value="admin">admin</option>
              <option value="runner">runner (only runs runbook steps)</option>
            </Select>
          )}
        </Field>
        <Button type="submit" variant="primary" busy={create.busy}>
          Create token
        </Button>
        {secret && <Secret label="The token" value={secret} />}
      </form>
    </div>
  );
}

function Integrations() {
  const { api, toast } = useApp();
  const integrations = useQuery(() => api.get<{ items: Integration[] }>('/integrations'), []);
  const [kind, setKind] = useState<Integration['kind']>('alertmanager');
  const [name, setName] = useState('');
  const [service, setService] = useState('');
  const [created, setCreated] = useState<{ key: string; url: string; kind: Integration['kind'] } | null>(null);
  const create = useAction(() => api.post<{ integration: Integration; key: string; url: string }>('/integrations', { kind, name: name.trim(), ...(service && { service }) }));
  const remove = useAction(async (integration: Integration) => {
    await api.delete(`/integrations/${seg(integration.id)}`);
    toast(`${integration.name} deleted; its key stopped working`);
    await integrations.reload();
  });
  return (
    <div className="two-columns">
      <section className="panel" aria-labelledby="integrations-title">
        <h2 id="integrations-title">Alert sources</h2>
        <ErrorNotice error={integrations.error ?? remove.error} />
        {integrations.data?.items.length === 0 ? (
          <Empty>No alert source yet.</Empty>
        ) : (
          <ul className="list">
            {integrations.data?.items.map((integration) => (
              <li key={integration.id} className="list-line">
                <span>
                  <strong>{integration.name}</strong> <span className="muted small">{integration.kind}</span> <code>{integration.keyPrefix}…</code>
                </span>
                {integration.deletedAt ? (
                  <StateBadge state="deleted" />
                ) : (
                  <Button onClick={() => void remove.run(integration)} busy={remove.busy}>
                    Delete
                  </Button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <form
        className="panel form"
        aria-labelledby="new-integration-title"
        onSubmit={async (event) => {
          event.preventDefault();
          const answer = await create.run();
          if (!answer) return;
          setCreated({ key: answer.key, url: answer.url, kind });
          setName('');
          void integrations.reload();
        }}
      >
        <h2 id="new-integration-title">New alert source</h2>
        <ErrorNotice error={create.error} />
        <Field label="Kind">
          {(props) => (
            <Select {...props} value={kind} onChange={(e) => setKind(e.target.value as Integration['kind'])}>
              <option value="alertmanager">Prometheus Alertmanager</option>
              <option value="pagerduty">PagerDuty Events API v2</option>
              <option value="grafana">Grafana alerting</option>
              <option value="generic">Any JSON webhook</option>
            </Select>
          )}
        </Field>
        <Field label="Name">{(props) => <TextInput {...props} required value={name} onChange={(e) => setName(e.target.value)} placeholder="prod alertmanager" />}</Field>
        <Field label="Service" hint="Optional: alerts the catalog does not place go to this service">
          {(props) => (
            <Select {...props} value={service} onChange={(e) => setService(e.target.value)}>
              <option value="">As the catalog says</option>
              <ServiceOptions />
            </Select>
          )}
        </Field>
        <Button type="submit" variant="primary" busy={create.busy}>
          Create
        </Button>
        {created && <Snippets secret={created.key} url={created.url} kind={created.kind} />}
      </form>
    </div>
  );
}

/**
 * Ready-to-paste configuration for the new source, with the key in it (shown once).
 * Each curl sends the smallest body its adapter takes (src/alerts/adapters/), so it answers 2xx.
 */
function Snippets({ secret, url, kind }: { secret: string; url: string; kind: Integration['kind'] }) {
  const origin = window.location.origin;
  const endpoint = origin + url;
  const now = new Date().toISOString();
  const snippets: Array<[string, string]> =
    kind === 'alertmanager'
      ? [
          ['alertmanager.yml', `receivers:\n  - name: firebreak\n    webhook_configs:\n      - url: ${endpoint}\n        send_resolved: true\n\nroute:\n  receiver: firebreak`],
          ['Try it with curl', `curl -sS -H 'content-type: application/json' ${endpoint} -d '{"version":"4","status":"firing","receiver":"firebreak","groupKey":"test","alerts":[{"status":"firing","labels":{"alertname":"FirebreakTest","severity":"warning"},"annotations":{"summary":"A test alert"},"startsAt":"${now}"}]}'`],
        ]
      : kind === 'grafana'
        ? [
            ['In Grafana', `Alerting → Contact points → Add contact point\n  Integration: Webhook\n  URL: ${endpoint}\nThen route alerts to it in a notification policy.`],
            // Grafana's unified alerting envelope (version "1"): the adapter refuses a body without `alerts`.
            ['Try it with curl', `curl -sS -H 'content-type: application/json' ${endpoint} -d '{"version":"1","status":"firing","receiver":"firebreak","orgId":1,"groupKey":"test","title":"[FIRING:1] FirebreakTest","state":"alerting","alerts":[{"status":"firing","labels":{"alertname":"FirebreakTest","severity":"warning"},"annotations":{"summary":"A test alert"},"startsAt":"${now}","endsAt":"0001-01-01T00:00:00Z","fingerprint":"firebreaktest"}]}'`],
          ]
        : kind === 'pagerduty'
          ? [['Try it with curl', `curl -sS -H 'content-type: application/json' ${endpoint} -d '{"routing_key":"${secret}","event_action":"trigger","payload":{"summary":"A test alert","source":"curl","severity":"warning"}}'`]]
          : [['Try it with curl', `curl -sS -H 'content-type: application/json' ${endpoint} -d '{"title":"A test alert","status":"firing"}'`]];
  return (
    <div className="snippets">
      <Secret label="The key" value={secret} />
      {snippets.map(([title, text]) => (
        <figure key={title}>
          <figcaption>{title}</figcaption>
          <pre className="code">{text}</pre>
        </figure>
      ))}
    </div>
  );
}
