import { useState, type FormEvent } from 'react';
import type { ApiClient } from '../api/client.ts';
import { asApiError } from '../api/hooks.ts';
import type { WhoAmI } from '../api/types.ts';
import { Button, Field, TextInput } from '../ui/controls.tsx';
import { ErrorNotice } from '../ui/feedback.tsx';
import type { ApiError } from '../api/client.ts';

export function SignIn({ api, reason, onSignedIn }: { api: ApiClient; reason: string | null; onSignedIn(me: WhoAmI): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.post<WhoAmI>('/session', { username: username.trim(), password }));
    } catch (failure) {
      setError(asApiError(failure));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Firebreak
        </div>
        <h1 id="signin-title">Sign in</h1>
        {reason && <p className="notice">{reason}</p>}
        <ErrorNotice error={error} />
        <Field label="Username">{(props) => <TextInput {...props} name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />}</Field>
        <Field label="Password">{(props) => <TextInput {...props} name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}</Field>
        <Button type="submit" variant="primary" busy={busy} className="wide">
          {busy ? 'Signing in…' : 'Sign in'}
        </Button>
        <p className="muted small">
          No account? An administrator creates one with <code>firebreak user create</code> or under Settings.
        </p>
      </form>
    </main>
  );
}
