/**
 * The project admin page: how good is the model, is it getting better, what is it doing now,
 * and the controls to act on it. Admins only (the API answers 403 to anyone else).
 * Sections: training, model versions, evaluation, keypoint embeddings, dataset health,
 * agreement, import / export, users.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import type { LabelEfficiencyPoint, ModelVersionRead, ProjectHealth } from "../../core/adminTypes";
import type { ProjectRead, UserRead } from "../../core/types";
import { api, errorText } from "../api";
import { Header, ProjectCrumbs } from "../Header";
import { admin } from "./common";
import { AgreementPanel } from "./AgreementPanel";
import { EvaluationPanel } from "./EvaluationPanel";
import { HealthPanel } from "./HealthPanel";
import { ProjectPanel } from "./ProjectPanel";
import { TrainingPanel } from "./TrainingPanel";
import { TransferPanel } from "./TransferPanel";
import { UsersPanel } from "./UsersPanel";
import { VersionsPanel } from "./VersionsPanel";
import "./admin.css";
import { ErrorLine, StatusLine } from "../Notices";

const SECTIONS = [
  ["training", "Training"],
  ["versions", "Model versions"],
  ["evaluation", "Evaluation"],
  ["embeddings", "Embeddings"],
  ["health", "Dataset health"],
  ["agreement", "Agreement"],
  ["transfer", "Import / export"],
  ["users", "Users"],
  ["project", "Project"],
] as const;

export function AdminPage({
  projectId,
  user,
  onLogout,
}: {
  projectId: number;
  user: UserRead;
  onLogout: () => void;
}) {
  const [project, setProject] = useState<ProjectRead | null>(null);
  const [versions, setVersions] = useState<ModelVersionRead[]>([]);
  const [efficiency, setEfficiency] = useState<LabelEfficiencyPoint[]>([]);
  const [health, setHealth] = useState<ProjectHealth | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const [p, v, e, h] = await Promise.all([
        api.getProject(projectId),
        admin.listVersions(projectId),
        admin.labelEfficiency(projectId),
        admin.health(projectId),
      ]);
      setProject(p);
      setVersions(v);
      setEfficiency(e);
      setHealth(h);
    } catch (e) {
      setError(errorText(e));
    }
  }, [projectId]);

  useEffect(() => {
    if (user.role === "admin") void refresh();
  }, [refresh, user.role]);

  const promote = async (version: ModelVersionRead) => {
    setMessage(null);
    try {
      const promoted = await admin.promote(version.id);
      setMessage(`v${promoted.number} is now the active model.`);
      await refresh();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const crumbs = <ProjectCrumbs projectId={projectId} project={project} page="Admin" />;
  if (user.role !== "admin") {
    return (
      <div class="page">
        <Header user={user} onLogout={onLogout}>
          {crumbs}
        </Header>
        <p class="page-error" role="alert">
          The admin page is for admins only.
        </p>
      </div>
    );
  }
  return (
    <div class="page admin-page">
      <Header user={user} onLogout={onLogout}>
        {crumbs}
      </Header>
      <nav class="admin-nav" aria-label="Admin sections">
        {SECTIONS.map(([id, label]) => (
          <a key={id} href={`#${id}`}>
            {label}
          </a>
        ))}
      </nav>
      <main class="content">
        <h1>{project?.name ?? "…"} — model and data</h1>
        <ErrorLine text={error} />
        <StatusLine text={message} />
        {project && (
          <>
            <TrainingPanel
              project={project}
              versions={versions}
              onProjectChange={setProject}
              onTrained={() => void refresh()}
            />
            <VersionsPanel
              project={project}
              versions={versions}
              efficiency={efficiency}
              onPromote={promote}
            />
            <EvaluationPanel project={project} versions={versions} />
            <HealthPanel health={health} />
            <AgreementPanel project={project} />
            <TransferPanel project={project} onImported={() => void refresh()} />
            <UsersPanel me={user} />
            <ProjectPanel project={project} onProjectChange={setProject} />
          </>
        )}
      </main>
    </div>
  );
}
