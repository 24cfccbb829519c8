import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, createApiClient } from '../api/client.ts';
import { asApiError } from '../api/hooks.ts';
import { LiveEvents, type ConnectionState } from '../api/live.ts';
import type { Config, WhoAmI } from '../api/types.ts';
import { IncidentList } from '../incidents/IncidentList.tsx';
import { IncidentRoom } from '../incidents/IncidentRoom.tsx';
import { DeclareDialog } from '../incidents/DeclareDialog.tsx';
import { Skeleton } from '../ui/feedback.tsx';
import { Ticker, TickerProvider } from '../ui/time.tsx';
import { AppProvider, useApp } from './context.tsx';
import { Link, matchPath, navigate, useLocation } from './router.tsx';
import { ShortcutHelp, useShortcuts } from './shortcuts.tsx';
import { SignIn } from './SignIn.tsx';
import { ThemeToggle } from './theme.tsx';

// Pages a responder rarely opens at 3 a.m. load on demand, keeping the incident room's first load small.
const AlertsPage = lazy(() => import('../alerts/AlertsPage.tsx'));
const OnCallPage = lazy(() => import('../oncall/OnCallPage.tsx'));
const StatusPageAdmin = lazy(() => import('../statuspage/StatusPageAdmin.tsx'));
const PostmortemEditor = lazy(() => import('../postmortem/PostmortemEditor.tsx'));
const ReportsPage = lazy(() => import('../reports/ReportsPage.tsx'));
const SettingsPage = lazy(() => import('../settings/SettingsPage.tsx'));

type Session = { state: 'loading' } | { state: 'signed-out'; reason: string | null } | { state: 'signed-in'; me: WhoAmI; config: Config } | { state: 'failed'; error: ApiError };

export function App() {
  const api = useMemo(() => createApiClient(), []);
  const live = useMemo(() => new LiveEvents(), []);
  const ticker = useMemo(() => new Ticker(), []);
  const [session, setSession] = useState<Session>({ state: 'loading' });

  const enter = useCallback(
    async (me: WhoAmI) => {
      api.setCsrfToken(me.csrfToken);
      let config: Config;
      try {
        config = await api.get<Config>('/config');
      } catch (error) {
        // A 401 has already asked to sign in again (onSignedOut); anything else would leave a blank page.
        if (!(error instanceof ApiError && error.status === 401)) setSession({ state: 'failed', error: asApiError(error) });
        return;
      }
      setSession({ state: 'signed-in', me, config });
      live.start();
    },
    [api, live],
  );

  useEffect(() => {
    api.get<WhoAmI>('/session').then(enter, (error: unknown) => {
      if (error instanceof ApiError && error.status === 401) setSession({ state: 'signed-out', reason: null });
      else setSession({ state: 'failed', error: asApiError(error) });
    });
    const ended = () => {
      live.stop();
      setSession({ state: 'signed-out', reason: 'Your session has ended. Sign in again to carry on where you were.' });
    };
    const unsubscribeApi = api.onSignedOut(ended);
    const unsubscribeLive = live.onSessionEnded(ended);
    return () => {
      unsubscribeApi();
      unsubscribeLive();
    };
  }, [api, live, enter]);

  /** Rejects when the server did not end the session: the person is still signed in and must be told. */
  const signOut = useCallback(async () => {
    try {
      await api.delete('/session');
    } catch (error) {
      // A 401 means the session had ended already: signed out either way.
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
    live.stop();
    api.setCsrfToken(null);
    setSession({ state: 'signed-out', reason: null });
  }, [api, live]);

  if (session.state === 'loading') return <div className="boot" aria-busy="true" />;
  if (session.state === 'failed') {
    return (
      <main className="signin">
        <h1>Firebreak</h1>
        <p role="alert">The server did not answer as expected: {session.error.message}</p>
        <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
          Try again
        </button>
      </main>
    );
  }
  if (session.state === 'signed-out') {
    return (
      <SignIn
        api={api}
        reason={session.reason}
        onSignedIn={(me) => {
          void enter(me);
          if (window.location.pathname === '/login') navigate('/incidents', { replace: true });
        }}
      />
    );
  }
  return (
    <TickerProvider ticker={ticker}>
      <AppProvider api={api} live={live} me={session.me} config={session.config} signOut={signOut}>
        <Shell />
      </AppProvider>
    </TickerProvider>
  );
}

const NAV = [
  { to: '/incidents', label: 'Incidents', match: '/incidents' },
  { to: '/alerts', label: 'Alerts', match: '/alerts' },
  { to: '/oncall', label: 'On call', match: '/oncall' },
  { to: '/status-page', label: 'Status page', match: '/status-page' },
  { to: '/reports', label: 'Reports', match: '/reports' },
  { to: '/settings', label: 'Settings', match: '/settings' },
] as const;

function Shell() {
  const { me, live, personName, signOut, can, toast } = useApp();
  const { path } = useLocation();
  const [declaring, setDeclaring] = useState(false);
  const [help, setHelp] = useState(false);
  const [connection, setConnection] = useState<ConnectionState>(live.state);
  useEffect(() => {
    // The stream may have opened between the first render and this effect.
    setConnection(live.state);
    return live.onState(setConnection);
  }, [live]);
  useShortcuts(
    {
      declare: () => can('incidents.write') && setDeclaring(true),
      help: () => setHelp(true),
      // The incident list handles "/" itself; from anywhere else it goes there to search.
      search: () => path !== '/incidents' && navigate('/incidents', { state: { focusSearch: true } }),
    },
    // The shell is always there, so "g then …" works on every page, once.
    { navigation: true },
  );
  const signOutOrSay = () => signOut().catch((error: unknown) => toast(`Not signed out: ${asApiError(error).message}`, 'error'));

  useEffect(() => {
    if (path === '/' || path === '/login') navigate('/incidents', { replace: true });
  }, [path]);

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/incidents" className="brand" aria-label="Firebreak, incidents">
          <span className="brand-mark" aria-hidden="true" />
          Firebreak
        </Link>
        <nav aria-label="Main" className="nav">
          {NAV.map((item) => (
            <Link key={item.to} to={item.to} className="nav-link" aria-current={path.startsWith(item.match) ? 'page' : undefined}>
              {item.label}
            </Link>
          ))}
        </nav>
        <div className="topbar-end">
          <span className={`live live-${connection}`} title={connection === 'live' ? 'Live updates are on' : 'Reconnecting to live updates…'}>
            <span className="live-dot" aria-hidden="true" />
            <span className="live-text">{connection === 'live' ? 'Live' : connection === 'connecting' ? 'Connecting' : 'Reconnecting'}</span>
          </span>
          {can('incidents.write') && (
            <button type="button" className="btn btn-primary declare-button" onClick={() => setDeclaring(true)} title="Declare an incident (d)">
              Declare
            </button>
          )}
          <ThemeToggle />
          <details className="menu">
            <summary title={personName(me.actor)}>
              <span aria-hidden="true">{initials(personName(me.actor))}</span>
              <span className="visually-hidden">Account of {personName(me.actor)}</span>
            </summary>
            <div className="menu-items">
              <div className="menu-who">
                <strong>{personName(me.actor)}</strong>
                <span className="muted">
                  {me.actor} · {me.role}
                </span>
              </div>
              <Link to="/settings/account">Account and sessions</Link>
              <button type="button" onClick={() => setHelp(true)}>
                Keyboard shortcuts
              </button>
              <button type="button" onClick={() => void signOutOrSay()}>
                Sign out
              </button>
            </div>
          </details>
        </div>
      </header>
      <main id="main" className="main">
        <Suspense fallback={<Skeleton rows={6} />}>
          <Page path={path} />
        </Suspense>
      </main>
      <DeclareDialog open={declaring} onClose={() => setDeclaring(false)} />
      <ShortcutHelp open={help} onClose={() => setHelp(false)} />
    </div>
  );
}

const initials = (name: string) =>
  name
    .replace(/^[a-z]+:/, '')
    .split(/[\s._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]!.toUpperCase())
    .join('') || '?';

function Page({ path }: { path: string }) {
  let params: Record<string, string> | null;
  if (path === '/incidents') return <IncidentList />;
  if ((params = matchPath('/incidents/:id/postmortem', path))) return <PostmortemEditor incidentId={params.id!} />;
  if ((params = matchPath('/incidents/:id', path))) return <IncidentRoom key={params.id} id={params.id!} />;
  if (path === '/alerts' || path === '/silences' || path.startsWith('/alerts/')) return <AlertsPage />;
  if (path === '/oncall') return <OnCallPage />;
  if (path === '/status-page') return <StatusPageAdmin />;
  if (path === '/reports') return <ReportsPage />;
  if (path === '/settings' || path.startsWith('/settings/')) return <SettingsPage />;
  if (path === '/' || path === '/login') return <Skeleton rows={4} />;
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link to="/incidents">Go to incidents</Link>.
      </p>
    </section>
  );
}
