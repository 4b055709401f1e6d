import { useEffect, useState } from "preact/hooks";
import type { ProjectRead, UserRead } from "../core/types";
import { api, errorText } from "./api";
import { Header, Progress } from "./Header";
import { NewProject } from "./NewProject";
import { linkClick } from "./router";
import { ErrorLine } from "./Notices";

export function ProjectList({ user, onLogout }: { user: UserRead; onLogout: () => void }) {
  const [projects, setProjects] = useState<ProjectRead[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    api.listProjects().then(setProjects, (e: unknown) => setError(errorText(e)));
  };
  useEffect(load, []);
  return (
    <div class="page">
      <Header user={user} onLogout={onLogout} />
      <main class="content">
        <h1>Projects</h1>
        <ErrorLine text={error} />
        {projects === null && !error && <p class="loading">Loading…</p>}
        {user.role === "admin" && <NewProject onCreated={load} />}
        {projects?.length === 0 && (
          <p>
            No projects yet.
            {user.role === "admin" ? " Create one above." : " An admin creates them."}
          </p>
        )}
        <ul class="project-list" aria-label="Projects">
          {projects?.map((p) => (
            <li key={p.id} class="project-card">
              <a href={`/projects/${p.id}`} onClick={linkClick}>
                <h2>{p.name}</h2>
              </a>
              {p.description && <p>{p.description}</p>}
              <p class="muted">
                {p.keypoint_schema.keypoints.length} keypoints · {p.counts.total} images
              </p>
              <Progress done={p.counts.done} total={p.counts.total} label={`${p.name} progress`} />
            </li>
          ))}
        </ul>
      </main>
    </div>
  );
}
