/** Typed calls of the admin page, over the shared ApiClient (same session, CSRF and errors). */
import type { ApiClient } from "./api";
import type {
  EffortGroup,
  EffortReport,
  EmbeddingRead,
  EvaluationRead,
  EvaluationSummary,
  ExampleImage,
  JobKind,
  JobRead,
  LabelEfficiencyPoint,
  ModelVersionRead,
  ProjectHealth,
  ProjectSettings,
  TokenCreated,
  TokenRead,
  TrainingOptions,
  UserUpdate,
} from "./adminTypes";
import type { ProjectRead, Role, UserRead } from "./types";

export class AdminApi {
  constructor(private readonly client: ApiClient) {}

  // --- training jobs
  startTraining(projectId: number, options: TrainingOptions): Promise<JobRead> {
    return this.client.request("POST", `/projects/${projectId}/training-jobs`, options);
  }
  listJobs(projectId: number, kind?: JobKind, limit = 20): Promise<JobRead[]> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (kind) q.set("kind", kind);
    return this.client.request("GET", `/projects/${projectId}/training-jobs?${q.toString()}`);
  }
  /** With `since`, only history entries numbered after it (see core/jobProgress.ts). */
  getJob(jobId: number, since: number | null = null): Promise<JobRead> {
    return this.client.request(
      "GET",
      since === null ? `/jobs/${jobId}` : `/jobs/${jobId}?since=${since}`,
    );
  }
  cancelJob(jobId: number): Promise<JobRead> {
    return this.client.request("POST", `/jobs/${jobId}/cancel`);
  }
  updateSettings(projectId: number, settings: ProjectSettings): Promise<ProjectRead> {
    return this.client.request("PATCH", `/projects/${projectId}`, { settings });
  }
  deleteProject(projectId: number): Promise<void> {
    return this.client.request("DELETE", `/projects/${projectId}`);
  }

  // --- model versions and evaluations
  listVersions(projectId: number): Promise<ModelVersionRead[]> {
    return this.client.request("GET", `/projects/${projectId}/model-versions`);
  }
  promote(versionId: number): Promise<ModelVersionRead> {
    return this.client.request("POST", `/model-versions/${versionId}/promote`);
  }
  evaluate(versionId: number, alpha: number): Promise<JobRead> {
    return this.client.request("POST", `/model-versions/${versionId}/evaluations`, { alpha });
  }
  /** Summaries, newest first (the per-image lists are left out; see getEvaluation). */
  listEvaluations(projectId: number, versionId?: number): Promise<EvaluationSummary[]> {
    const q = versionId === undefined ? "" : `?model_version_id=${versionId}`;
    return this.client.request("GET", `/projects/${projectId}/evaluations${q}`);
  }
  getEvaluation(evaluationId: number): Promise<EvaluationRead> {
    return this.client.request("GET", `/evaluations/${evaluationId}`);
  }
  worstExamples(evaluationId: number, limit = 6): Promise<ExampleImage[]> {
    return this.client.request("GET", `/evaluations/${evaluationId}/worst?limit=${limit}`);
  }
  embedding(evaluationId: number): Promise<EmbeddingRead> {
    return this.client.request("GET", `/evaluations/${evaluationId}/embedding`);
  }
  labelEfficiency(projectId: number): Promise<LabelEfficiencyPoint[]> {
    return this.client.request("GET", `/projects/${projectId}/label-efficiency`);
  }
  health(projectId: number): Promise<ProjectHealth> {
    return this.client.request("GET", `/projects/${projectId}/health`);
  }
  /** Labeling effort grouped per model version, annotator or day; `userId`: one annotator's. */
  effort(
    projectId: number,
    group: EffortGroup,
    userId: number | null = null,
  ): Promise<EffortReport> {
    const q = new URLSearchParams({ group });
    if (userId !== null) q.set("user_id", String(userId));
    return this.client.request("GET", `/projects/${projectId}/effort?${q.toString()}`);
  }

  // --- users, their sessions and tokens
  listUsers(): Promise<UserRead[]> {
    return this.client.request("GET", "/users");
  }
  createUser(email: string, password: string, role: Role): Promise<UserRead> {
    return this.client.request("POST", "/users", { email, password, role });
  }
  updateUser(userId: number, patch: UserUpdate): Promise<UserRead> {
    return this.client.request("PATCH", `/users/${userId}`, patch);
  }
  /** Logs the user out of every browser (their API tokens keep working). */
  endUserSessions(userId: number): Promise<void> {
    return this.client.request("DELETE", `/users/${userId}/sessions`);
  }
  listTokens(userId: number): Promise<TokenRead[]> {
    return this.client.request("GET", `/users/${userId}/tokens`);
  }
  issueToken(userId: number, name: string): Promise<TokenCreated> {
    return this.client.request("POST", `/users/${userId}/tokens`, { name });
  }
  revokeToken(userId: number, tokenId: number): Promise<void> {
    return this.client.request("DELETE", `/users/${userId}/tokens/${tokenId}`);
  }
}
