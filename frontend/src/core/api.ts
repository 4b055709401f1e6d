/**
 * Typed fetch client for /api/v1. Cookie session + double-submit CSRF: every non-GET request
 * sends X-CSRF-Token read from the `keyloop_csrf` cookie. Errors become typed exceptions;
 * a version conflict (409 with `current`) becomes a ConflictError carrying the server's copy.
 * An expired session (401) can be renewed without failing the request: see `onUnauthorized`;
 * where nothing offers that, `onSignedOut` hears of it.
 */
import type {
  AnnotationRead,
  AnnotationWrite,
  ImagePage,
  ImageRead,
  ImageState,
  LoginResponse,
  PredictionRead,
  ProjectCreate,
  ProjectRead,
  QueueRead,
  Split,
  UploadResult,
  UserRead,
  UserSessionRead,
} from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly body: unknown,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = "ApiError";
  }
}

export class ConflictError extends ApiError {
  constructor(
    detail: string,
    body: unknown,
    readonly current: AnnotationRead,
  ) {
    super(409, "version_conflict", detail, body);
    this.name = "ConflictError";
  }
}

/** Network failure (no HTTP response at all): the only error worth retrying blindly. */
export class NetworkError extends Error {
  constructor(override readonly cause: unknown) {
    super(`network error: ${String(cause)}`);
    this.name = "NetworkError";
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Asked on a 401: resolve true once signed in again to send the request again, false to fail. */
export type Reauthenticate = (error: ApiError) => Promise<boolean>;

export interface QueuePage {
  offset?: number;
  limit?: number;
  seed?: number;
}

export interface ImageFilter {
  state?: ImageState | undefined;
  split?: Split | undefined;
  /** Part of the file name, any case; blank means no filter. */
  name?: string | undefined;
  /** Only frames of this video; 0: only images that are not video frames. */
  videoId?: number | undefined;
  /** Frames video by video in frame order, then the images not from a video (a grouped grid). */
  byVideo?: boolean;
  offset?: number;
  limit?: number;
}

/** The calls whose 401 means "wrong credentials" or "not logged in yet", not "session ended". */
const SIGN_IN_PATHS = new Set(["/auth/login", "/auth/me"]);

export function readCookie(cookieHeader: string, name: string): string | null {
  for (const part of cookieHeader.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

export class ApiClient {
  private csrfFallback: string | null = null;
  private reauthenticate: Reauthenticate | null = null;
  private signedOut: ((error: ApiError) => void) | null = null;

  constructor(
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
    readonly base = "/api/v1",
    private readonly cookies: () => string = () =>
      typeof document === "undefined" ? "" : document.cookie,
  ) {}

  // --- auth
  async login(email: string, password: string): Promise<UserRead> {
    const res = await this.request<LoginResponse>("POST", "/auth/login", {
      email,
      password,
    });
    this.csrfFallback = res.csrf_token;
    return res.user;
  }
  logout(): Promise<void> {
    return this.request("POST", "/auth/logout");
  }
  me(): Promise<UserRead> {
    return this.request("GET", "/auth/me");
  }
  /** This user's live browser sessions, most recently used first; `current` marks this one. */
  listSessions(): Promise<UserSessionRead[]> {
    return this.request("GET", "/auth/sessions");
  }
  /**
   * Ends one of this user's sessions (ending the current one logs this browser out: the
   * response clears its cookies). One already gone (404: expired, or ended elsewhere) is ended.
   */
  async endSession(id: number): Promise<void> {
    try {
      await this.request<void>("DELETE", `/auth/sessions/${id}`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
  }
  /** Change this user's password; the server signs out their other browsers (not this one). */
  changePassword(current: string, next: string): Promise<void> {
    return this.request("POST", "/auth/password", {
      current_password: current,
      new_password: next,
    });
  }
  /**
   * Until the returned function is called, a request answered 401 (other than login and
   * `me`, whose 401 means wrong credentials or "not logged in yet") waits for `handler` and is
   * sent again when it resolves true. A 401 is raised before any route runs, so resending is safe.
   */
  onUnauthorized(handler: Reauthenticate): () => void {
    this.reauthenticate = handler;
    return () => {
      if (this.reauthenticate === handler) this.reauthenticate = null;
    };
  }

  /**
   * `listener` hears of every 401 that no `onUnauthorized` handler waits on (except login and
   * `me`): the session ended (signed out from another device, by an admin, or expired), so the
   * app can show the login page instead of an error. The request still fails.
   */
  onSignedOut(listener: (error: ApiError) => void): () => void {
    this.signedOut = listener;
    return () => {
      if (this.signedOut === listener) this.signedOut = null;
    };
  }

  // --- projects
  listProjects(): Promise<ProjectRead[]> {
    return this.request("GET", "/projects");
  }
  getProject(id: number): Promise<ProjectRead> {
    return this.request("GET", `/projects/${id}`);
  }
  createProject(body: ProjectCreate): Promise<ProjectRead> {
    return this.request("POST", "/projects", body);
  }
  /**
   * A page of the labeling queue (images not done, in the project's order); null when the
   * project is gone (404). `seed` keeps a random order the same from page to page.
   */
  async getQueue(projectId: number, page: QueuePage = {}): Promise<QueueRead | null> {
    const q = new URLSearchParams();
    q.set("offset", String(page.offset ?? 0));
    q.set("limit", String(page.limit ?? 10));
    if (page.seed !== undefined) q.set("seed", String(page.seed));
    try {
      return await this.request<QueueRead>("GET", `/projects/${projectId}/queue?${q.toString()}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }

  // --- images
  listImages(projectId: number, filter: ImageFilter = {}): Promise<ImagePage> {
    const q = new URLSearchParams();
    if (filter.state) q.set("state", filter.state);
    if (filter.split) q.set("split", filter.split);
    const name = filter.name?.trim();
    if (name) q.set("name", name);
    if (filter.videoId !== undefined) q.set("video_id", String(filter.videoId));
    if (filter.byVideo) q.set("by_video", "true");
    q.set("offset", String(filter.offset ?? 0));
    q.set("limit", String(filter.limit ?? 50));
    return this.request("GET", `/projects/${projectId}/images?${q.toString()}`);
  }
  uploadImages(projectId: number, files: readonly File[]): Promise<UploadResult> {
    const form = new FormData();
    for (const f of files) form.append("files", f, f.name);
    return this.request("POST", `/projects/${projectId}/images`, form);
  }
  getImage(id: number): Promise<ImageRead> {
    return this.request("GET", `/images/${id}`);
  }
  thumbnailUrl(id: number): string {
    return `${this.base}/images/${id}/thumbnail`;
  }
  /** The image as a browser displays it: the original, or a PNG rendition of a TIFF. */
  viewUrl(id: number): string {
    return `${this.base}/images/${id}/view`;
  }

  // --- annotations and predictions
  getAnnotation(imageId: number): Promise<AnnotationRead> {
    return this.request("GET", `/images/${imageId}/annotation`);
  }
  putAnnotation(imageId: number, body: AnnotationWrite): Promise<AnnotationRead> {
    return this.request("PUT", `/images/${imageId}/annotation`, body);
  }
  /** The active model's prediction, or null when there is none (the server answers null). */
  async getPrediction(imageId: number): Promise<PredictionRead | null> {
    return (
      (await this.request<PredictionRead | null>("GET", `/images/${imageId}/prediction`)) ?? null
    );
  }

  /** The CSRF token for requests this client does not send itself (an upload with progress). */
  csrfToken(): string | null {
    return readCookie(this.cookies(), "keyloop_csrf") ?? this.csrfFallback;
  }

  // --- plumbing
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD") {
      const csrf = readCookie(this.cookies(), "keyloop_csrf") ?? this.csrfFallback;
      if (csrf) headers["X-CSRF-Token"] = csrf;
    }
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers,
        body: payload,
        credentials: "same-origin",
        // Lets a save started while the tab closes still reach the server (browsers cap
        // keepalive bodies at 64 KiB; an annotation is a few KiB).
        keepalive: typeof payload === "string" && payload.length < 60_000,
      });
    } catch (e) {
      throw new NetworkError(e);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (res.ok) return data as T;
    const error = toApiError(res.status, data);
    if (res.status !== 401 || SIGN_IN_PATHS.has(path)) throw error;
    const reauthenticate = this.reauthenticate;
    // The header is read per attempt, so the resent request carries the new login's CSRF token.
    if (reauthenticate && (await reauthenticate(error))) return this.request<T>(method, path, body);
    if (!reauthenticate) this.signedOut?.(error);
    throw error;
  }
}

function toApiError(status: number, data: unknown): ApiError {
  const obj = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
  const detail = describeDetail(obj.detail ?? data);
  const code = typeof obj.code === "string" ? obj.code : `http_${status}`;
  const current = obj.current;
  if (status === 409 && typeof current === "object" && current !== null && "keypoints" in current) {
    return new ConflictError(detail, data, current as AnnotationRead);
  }
  return new ApiError(status, code, detail, data);
}

/** FastAPI 422s carry a list of {loc, msg}; show them readably. */
function describeDetail(detail: unknown): string {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => {
        const item = d as { loc?: unknown[]; msg?: string };
        return `${(item.loc ?? []).join(".")}: ${item.msg ?? ""}`;
      })
      .join("; ");
  }
  return detail === undefined || detail === null ? "request failed" : JSON.stringify(detail);
}
