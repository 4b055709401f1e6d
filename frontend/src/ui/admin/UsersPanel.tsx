/** Users: create, change role, deactivate / reactivate, sign out of every browser; list, issue
 * and revoke API tokens of any user (a new token is shown once). */
import { Fragment } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import type { TokenCreated, TokenRead } from "../../core/adminTypes";
import type { Role, UserRead } from "../../core/types";
import { errorText } from "../api";
import { admin, formatTime } from "./common";
import { ErrorLine, StatusLine } from "../Notices";

const ROLES: Role[] = ["viewer", "annotator", "reviewer", "admin"];

export function UsersPanel({ me }: { me: UserRead }) {
  const [users, setUsers] = useState<UserRead[]>([]);
  const [open, setOpen] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setUsers(await admin.listUsers());
    } catch (e) {
      setError(errorText(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const update = async (user: UserRead, patch: { role?: Role; is_active?: boolean }) => {
    setError(null);
    setMessage(null);
    try {
      const updated = await admin.updateUser(user.id, patch);
      setUsers((list) => list.map((u) => (u.id === updated.id ? updated : u)));
    } catch (e) {
      setError(errorText(e));
    }
  };

  const signOutEverywhere = async (user: UserRead) => {
    if (!window.confirm(`Sign ${user.email} out of every browser? Their API tokens keep working.`))
      return;
    setError(null);
    setMessage(null);
    try {
      await admin.endUserSessions(user.id);
      setMessage(`Signed ${user.email} out everywhere.`);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section class="admin-section" id="users" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <ErrorLine text={error} />
      <StatusLine text={message} />
      <CreateUser onCreated={(u) => setUsers((list) => [...list, u])} />
      <table class="admin-table" aria-label="Users">
        <thead>
          <tr>
            <th>Email</th>
            <th>Role</th>
            <th>Status</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <Fragment key={u.id}>
              <tr data-user={u.email} class={u.is_active ? "" : "inactive"}>
                <td>
                  {u.email}
                  {u.id === me.id && <span class="muted"> (you)</span>}
                </td>
                <td>
                  <select
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    disabled={u.id === me.id}
                    onChange={(e) => void update(u, { role: e.currentTarget.value as Role })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {u.is_active ? "active" : <span class="badge job-failed">deactivated</span>}
                </td>
                <td>{formatTime(u.created_at)}</td>
                <td>
                  <div class="actions">
                    {u.id !== me.id && (
                      <>
                        <button
                          type="button"
                          onClick={() => void update(u, { is_active: !u.is_active })}
                        >
                          {u.is_active ? "Deactivate" : "Reactivate"}
                        </button>
                        {u.is_active && ( // deactivating already ended every session
                          <button type="button" onClick={() => void signOutEverywhere(u)}>
                            Sign out everywhere
                          </button>
                        )}
                      </>
                    )}
                    <button
                      type="button"
                      aria-expanded={open === u.id}
                      onClick={() => setOpen(open === u.id ? null : u.id)}
                    >
                      API tokens
                    </button>
                  </div>
                </td>
              </tr>
              {open === u.id && (
                <tr class="tokens-row">
                  <td colSpan={5}>
                    <Tokens user={u} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function CreateUser({ onCreated }: { onCreated: (u: UserRead) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("annotator");
  const [status, setStatus] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const user = await admin.createUser(email, password, role);
      onCreated(user);
      setStatus(`Created ${user.email}.`);
      setEmail("");
      setPassword("");
    } catch (err) {
      setStatus(`Not created: ${errorText(err)}`);
    }
  };
  return (
    <form class="toolbar" onSubmit={(e) => void submit(e)} aria-label="Create user">
      <label>
        Email{" "}
        <input
          type="email"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </label>
      <label>
        Password{" "}
        <input
          type="password"
          required
          minLength={8}
          autoComplete="new-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Create user</button>
      {status && (
        <span role="status" class="muted">
          {status}
        </span>
      )}
    </form>
  );
}

function Tokens({ user }: { user: UserRead }) {
  const [tokens, setTokens] = useState<TokenRead[] | null>(null);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setTokens(await admin.listTokens(user.id));
    } catch (e) {
      setError(errorText(e));
    }
  }, [user.id]);
  useEffect(() => {
    void load();
  }, [load]);
  const issue = async (e: Event) => {
    e.preventDefault();
    try {
      setCreated(await admin.issueToken(user.id, name));
      setName("");
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const revoke = async (token: TokenRead) => {
    try {
      await admin.revokeToken(user.id, token.id);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div class="tokens" aria-label={`API tokens of ${user.email}`}>
      <ErrorLine text={error} />
      {created && (
        <p class="token-once" role="status">
          New token <strong>{created.name}</strong> (copy it now, it is not shown again):{" "}
          <code>{created.token}</code>
        </p>
      )}
      {tokens === null ? (
        <p class="muted">Loading…</p>
      ) : tokens.length === 0 ? (
        <p class="muted">No tokens.</p>
      ) : (
        <table class="admin-table compact">
          <thead>
            <tr>
              <th>Name</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{formatTime(t.created_at)}</td>
                <td>{formatTime(t.last_used_at)}</td>
                <td>{t.revoked_at ? `revoked ${formatTime(t.revoked_at)}` : "valid"}</td>
                <td>
                  {!t.revoked_at && (
                    <button type="button" onClick={() => void revoke(t)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="toolbar" onSubmit={(e) => void issue(e)}>
        <label>
          Token name <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit">Issue token</button>
      </form>
    </div>
  );
}
