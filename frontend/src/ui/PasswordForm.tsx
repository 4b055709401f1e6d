import { useState } from "preact/hooks";
import { api, errorText } from "./api";
import { ErrorLine, StatusLine } from "./Notices";

const MIN_LENGTH = 8; // the server's rule too (backend/services/users.py)

/**
 * Change one's own password. The server ends every other browser session of this user, so
 * `onChanged` lets the page reload what it lists.
 */
export function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setMessage(null);
    if (next !== repeat) {
      setError("The new password and its repetition differ.");
      return;
    }
    setBusy(true);
    try {
      await api.changePassword(current, next);
      setCurrent("");
      setNext("");
      setRepeat("");
      setMessage("Password changed. Your other devices were signed out.");
      onChanged();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="password-form" onSubmit={submit} aria-label="Change password">
      <label>
        Current password
        <input
          type="password"
          name="current-password"
          autoComplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </label>
      <label>
        New password
        <input
          type="password"
          name="new-password"
          autoComplete="new-password"
          required
          minLength={MIN_LENGTH}
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
      </label>
      <label>
        Repeat new password
        <input
          type="password"
          name="repeat-password"
          autoComplete="new-password"
          required
          minLength={MIN_LENGTH}
          value={repeat}
          onInput={(e) => setRepeat(e.currentTarget.value)}
        />
      </label>
      <ErrorLine text={error} />
      <StatusLine text={message} />
      <button type="submit" class="primary" disabled={busy}>
        Change password
      </button>
    </form>
  );
}
