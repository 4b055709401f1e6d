/**
 * The Account page (`/account`, any signed-in user): the browsers signed in as you, each of
 * which can be signed out (a lost laptop); signing out this one logs out here. And a password
 * change, which signs out every other browser.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { deviceRows, otherSessionIds } from "../core/devices";
import { formatTime } from "../core/time";
import type { UserRead, UserSessionRead } from "../core/types";
import { api, errorText } from "./api";
import { Header } from "./Header";
import { PasswordForm } from "./PasswordForm";
import { ErrorLine, StatusLine } from "./Notices";

export function Account({
  user,
  onLogout,
  onSignedOut,
}: {
  user: UserRead;
  onLogout: () => void;
  /** This browser's session was ended here: show the login page. */
  onSignedOut: () => void;
}) {
  const [sessions, setSessions] = useState<UserSessionRead[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setSessions(await api.listSessions());
    } catch (e) {
      setError(errorText(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const signOut = async (ids: number[], thisDevice: boolean) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      for (const id of ids) await api.endSession(id); // one at a time: SQLite has one writer
      if (thisDevice) {
        onSignedOut();
        return;
      }
      setMessage(ids.length === 1 ? "Signed out 1 device." : `Signed out ${ids.length} devices.`);
      await load();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const others = sessions ? otherSessionIds(sessions) : [];
  return (
    <div class="page">
      <Header user={user} onLogout={onLogout} />
      <main class="content account">
        <h1>Account</h1>
        <p>
          Signed in as <strong>{user.email}</strong> ({user.role}).
        </p>
        <section aria-labelledby="devices-title">
          <h2 id="devices-title">Signed-in devices</h2>
          <p class="muted">
            Browsers signed in as you. Signing one out ends its session at once; it has to log in
            again. API tokens are not affected.
          </p>
          <ErrorLine text={error} />
          <StatusLine text={message} />
          {sessions === null && !error && <p class="loading">Loading…</p>}
          {sessions && (
            <table class="data-table" aria-label="Signed-in devices">
              <thead>
                <tr>
                  <th>Device</th>
                  <th>IP address</th>
                  <th>Signed in</th>
                  <th>Last active</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {deviceRows(sessions, Date.now()).map((row) => (
                  <tr key={row.id} data-session={row.id}>
                    <td title={row.userAgent}>
                      {row.device}
                      {row.current && <span class="badge this-device">this device</span>}
                    </td>
                    <td>{row.ip}</td>
                    <td>{formatTime(row.signedInAt)}</td>
                    <td>{row.lastActive}</td>
                    <td>
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => void signOut([row.id], row.current)}
                      >
                        Sign out
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <button
            type="button"
            disabled={busy || others.length === 0}
            onClick={() => void signOut(others, false)}
          >
            Sign out all other devices
          </button>
        </section>
        <section aria-labelledby="password-title">
          <h2 id="password-title">Password</h2>
          <PasswordForm onChanged={() => void load()} />
        </section>
      </main>
    </div>
  );
}
