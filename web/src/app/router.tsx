import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/**
 * A small History-API router: the address bar is the state, so every page has a
 * link a responder can paste into chat, and Back works as people expect.
 */
const CHANGE = 'firebreak:navigate';

export interface Location {
  path: string;
  query: URLSearchParams;
}

const read = (): Location => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search) });

/** `state` rides along in the history entry, for the page it leads to (see `arrivalState`). */
export function navigate(to: string, options: { replace?: boolean; state?: Record<string, unknown> } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  const state = options.state ?? null;
  if (options.replace) window.history.replaceState(state, '', to);
  else window.history.pushState(state, '', to);
  window.dispatchEvent(new Event(CHANGE));
  if (!options.replace) window.scrollTo(0, 0);
}

export function useLocation(): Location {
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const update = () => setLocation(read());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return location;
}

/** `/incidents/:id` against `/incidents/01H…` → `{ id: '01H…' }`; null when it does not fit. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(have[i]!);
    else if (part !== have[i]) return null;
  }
  return params;
}

/** Changes the query string in place (filters), keeping the page. */
export function setQuery(changes: Record<string, string | string[] | null>, options: { replace?: boolean } = { replace: true }): void {
  const query = new URLSearchParams(window.location.search);
  for (const [name, value] of Object.entries(changes)) {
    query.delete(name);
    if (value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) if (item !== '') query.append(name, item);
  }
  const text = query.toString();
  navigate(window.location.pathname + (text ? `?${text}` : ''), options);
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    // Let the browser open new tabs and windows as usual.
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={follow} {...rest} />;
}

/** The browser tab's title for this page: responders keep many tabs open. */
export function useTitle(title: string | null): void {
  useEffect(() => {
    document.title = title ? `${title} · Firebreak` : 'Firebreak';
  }, [title]);
}

/** What the navigation that led here asked of the page, if anything. */
export const arrivalState = (): Record<string, unknown> => (window.history.state as Record<string, unknown> | null) ?? {};
