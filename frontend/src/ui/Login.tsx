import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { UserRead } from "../core/types";
import { api, errorText } from "./api";
import { ErrorLine } from "./Notices";

/**
 * Email + password signing in through `api.login` (which keeps the new CSRF token); the login
 * page and the annotator's "session expired" dialog both use it. `children` go above the fields.
 */
export function LoginForm({
  label,
  submitText,
  initialEmail = "",
  onLoggedIn,
  children,
}: {
  label: string;
  submitText: string;
  initialEmail?: string;
  onLoggedIn: (user: UserRead) => void;
  children?: ComponentChildren;
}) {
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLoggedIn(await api.login(email, password));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="login-form" onSubmit={submit} aria-label={label}>
      {children}
      <label>
        Email
        <input
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </label>
      <label>
        Password
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          autoFocus={initialEmail !== ""}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <ErrorLine text={error} />
      <button type="submit" class="primary" disabled={busy}>
        {submitText}
      </button>
    </form>
  );
}

export function Login({ onLoggedIn }: { onLoggedIn: (user: UserRead) => void }) {
  return (
    <main class="login">
      <LoginForm label="Log in" submitText="Log in" onLoggedIn={onLoggedIn}>
        <h1>Keyloop</h1>
      </LoginForm>
    </main>
  );
}
