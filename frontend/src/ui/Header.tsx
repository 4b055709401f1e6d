import type { ComponentChildren } from "preact";
import type { ProjectRead, UserRead } from "../core/types";
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

/** "Projects / <project> / <page>", the first two links, for a header's middle. */
export function ProjectCrumbs({
  projectId,
  project,
  page,
}: {
  projectId: number;
  project: ProjectRead | null;
  page: string;
}) {
  return (
    <>
      <a href="/" onClick={linkClick}>
        Projects
      </a>{" "}
      /{" "}
      <a href={`/projects/${projectId}`} onClick={linkClick}>
        {project?.name ?? "…"}
      </a>{" "}
      / <strong>{page}</strong>
    </>
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
