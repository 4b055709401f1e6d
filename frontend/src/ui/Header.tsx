import type { ComponentChildren } from "preact";
import type { UserRead } from "../core/types";
import { linkClick } from "./router";

export function Header({
  user,
  onLogout,
  children,
}: {
  user: UserRead;
  onLogout: () => void;
  children?: ComponentChildren;
}) {
  return (
    <header class="topbar">
      <a class="brand" href="/" onClick={linkClick}>
        Keyloop
      </a>
      <div class="topbar-middle">{children}</div>
      <span class="who">
        {user.email} ({user.role})
      </span>
      <a href="/account" onClick={linkClick}>
        Account
      </a>
      <button type="button" onClick={onLogout}>
        Log out
      </button>
    </header>
  );
}

export function Progress({ done, total, label }: { done: number; total: number; label: string }) {
  const pct = total === 0 ? 0 : Math.round((100 * done) / total);
  return (
    <div
      class="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={done}
    >
      <div class="progress-bar" style={{ width: `${pct}%` }} />
      <span class="progress-text">
        {done} / {total} done
      </span>
    </div>
  );
}
