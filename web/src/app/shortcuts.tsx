import { useEffect, useRef } from 'react';
import { Dialog } from '../ui/dialog.tsx';
import { navigate } from './router.tsx';

export type ShortcutName = 'declare' | 'search' | 'acknowledge' | 'help';

const KEYS: Record<string, ShortcutName> = { d: 'declare', '/': 'search', a: 'acknowledge', '?': 'help' };
const GO: Record<string, string> = { i: '/incidents', a: '/alerts', o: '/oncall', s: '/status-page', r: '/reports' };

export const SHORTCUT_HELP: ReadonlyArray<[string, string]> = [
  ['d', 'Declare an incident'],
  ['/', 'Search incidents'],
  ['a', 'Acknowledge (in an incident)'],
  ['g then i', 'Go to incidents'],
  ['g then a', 'Go to alerts'],
  ['g then o', 'Go to on call'],
  ['g then s', 'Go to the status page'],
  ['g then r', 'Go to reports'],
  ['?', 'Show these shortcuts'],
  ['Esc', 'Close a dialog'],
];

/** Typing in a field is typing, not a shortcut. */
function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element) return false;
  return element.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(element.tagName) || element.closest('dialog[open]') !== null;
}

/**
 * Until when the key after a `g` is a destination. Shared by every listener: the
 * key after `g` belongs to navigation, so "g then a" goes to alerts and never
 * also acknowledges, whichever listener the browser calls first.
 */
let goUntil = 0;

/**
 * Single-key shortcuts, ignored while typing, with modifiers held, or inside a dialog.
 * `navigation` adds "g then …"; one listener of the app (the shell) asks for it.
 */
export function useShortcuts(handlers: Partial<Record<ShortcutName, () => unknown>>, options: { navigation?: boolean } = {}): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  const navigation = options.navigation ?? false;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      if (goUntil > Date.now()) {
        if (!navigation) return;
        goUntil = 0;
        // Consumed either way, so listeners called after this one leave it alone.
        event.preventDefault();
        const to = GO[event.key];
        if (to) navigate(to);
        return;
      }
      if (navigation && event.key === 'g') {
        goUntil = Date.now() + 1500;
        return;
      }
      const name = KEYS[event.key];
      const handler = name ? latest.current[name] : undefined;
      if (handler) {
        event.preventDefault();
        handler();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigation]);
}

export function ShortcutHelp({ open, onClose }: { open: boolean; onClose(): void }) {
  return (
    <Dialog open={open} title="Keyboard shortcuts" onClose={onClose}>
      <table className="table compact">
        <tbody>
          {SHORTCUT_HELP.map(([keys, what]) => (
            <tr key={keys}>
              <td>
                {keys.split(' then ').map((key, i) => (
                  <span key={key}>
                    {i > 0 && ' then '}
                    <kbd>{key}</kbd>
                  </span>
                ))}
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
