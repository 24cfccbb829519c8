import type { ReactNode } from 'react';
import type { ApiError } from '../api/client.ts';

/** The API's own words: its message, and each field it found wrong. */
export function ErrorNotice({ error, onDismiss }: { error: ApiError | null; onDismiss?: () => void }) {
  if (!error) return null;
  // A domain check's one field carries the message already said above.
  const fields = error.fieldProblems.filter((f) => f.message !== error.message);
  return (
    <div className="notice notice-error" role="alert">
      <div>
        <strong>{error.status === 0 ? 'Not sent' : titleFor(error.status)}</strong> {error.message}
        {fields.length > 0 && (
          <ul>
            {fields.map((f) => (
              <li key={f.field + f.message}>
                <code>{f.field}</code> {f.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      {onDismiss && (
        <button type="button" className="btn btn-ghost icon" aria-label="Dismiss" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}

function titleFor(status: number): string {
  if (status === 401) return 'Signed out.';
  if (status === 403) return 'Not allowed.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'Conflict.';
  if (status === 429) return 'Too many attempts.';
  if (status >= 500) return 'Server error.';
  return 'Refused.';
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Placeholder rows of the final height, so nothing jumps when the data arrives. */
export function Skeleton({ rows = 3, height = 2.5 }: { rows?: number; height?: number }) {
  return (
    <div aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" style={{ height: `${height}rem` }} />
      ))}
    </div>
  );
}
