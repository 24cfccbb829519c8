import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { LiveEvents } from '../api/live.ts';
import type { Config, LiveEvent, WhoAmI } from '../api/types.ts';

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

export interface AppContextValue {
  api: ApiClient;
  live: LiveEvents;
  me: WhoAmI;
  config: Config;
  /** Whether the signed-in person may do this (the API decides; this only hides what would be refused). */
  can(action: string): boolean;
  /** `user:amara` or `amara` → "Amara Okafor"; anything else as it is. */
  personName(actorOrId: string | null): string;
  severityName(id: string): string;
  serviceName(id: string): string;
  toast(text: string, kind?: Toast['kind']): void;
  signOut(): Promise<void>;
}

const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside the signed-in app');
  return value;
}

/** Calls `handler` with every live event while the component is mounted. */
export function useLive(handler: (event: LiveEvent) => void): void {
  const { live } = useApp();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => live.subscribe((event) => latest.current(event)), [live]);
}

export function AppProvider({ api, live, me, config, signOut, children }: { api: ApiClient; live: LiveEvents; me: WhoAmI; config: Config; signOut(): Promise<void>; children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const counter = useRef(0);
  const toast = useCallback((text: string, kind: Toast['kind'] = 'info') => {
    const id = ++counter.current;
    setToasts((current) => [...current.slice(-3), { id, text, kind }]);
    setTimeout(() => setToasts((current) => current.filter((t) => t.id !== id)), kind === 'error' ? 8000 : 4000);
  }, []);

  const value = useMemo<AppContextValue>(() => {
    const people = new Map(config.users.map((user) => [user.id, user.name]));
    if (me.account) people.set(me.account.username, people.get(me.account.username) ?? me.account.name);
    return {
      api,
      live,
      me,
      config,
      signOut,
      toast,
      can: (action) => me.permissions.includes(action),
      personName: (actorOrId) => {
        if (actorOrId === null) return '—';
        const id = actorOrId.startsWith('user:') ? actorOrId.slice(5) : actorOrId;
        return people.get(id) ?? actorOrId;
      },
      severityName: (id) => config.severities.find((s) => s.id.toLowerCase() === id.toLowerCase())?.name ?? id,
      serviceName: (id) => config.services.find((s) => s.id === id)?.name ?? id,
    };
  }, [api, live, me, config, signOut, toast]);

  return (
    <AppContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`}>
            {t.text}
          </div>
        ))}
      </div>
    </AppContext.Provider>
  );
}
