/**
 * Debounced autosave with optimistic concurrency. The saver remembers the version it last read
 * or wrote and sends it with every PUT; a 409 stops saving and exposes both versions until the
 * annotator resolves the conflict (keep mine: PUT again on top of the server's version; take
 * theirs: the caller loads the server's copy). Nothing is dropped silently: while a conflict or
 * an error is pending, the local state stays dirty.
 */
import { ApiError, ConflictError, NetworkError } from "./api";
import type { EffortDraft } from "./effort";
import type { AnnotationState } from "./store";
import type { AnnotationRead, AnnotationWrite } from "./types";

export type SaveStatus = "saved" | "dirty" | "saving" | "error" | "conflict";

export interface SaveClient {
  putAnnotation(imageId: number, body: AnnotationWrite): Promise<AnnotationRead>;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface Conflict {
  readonly mine: AnnotationState;
  readonly theirs: AnnotationRead;
}

export interface AutosaveOptions {
  client: SaveClient;
  imageId: number;
  /** The version the current state was read at (0 = never saved). */
  version: number;
  getState: () => AnnotationState;
  delayMs?: number;
  retryMs?: number;
  timers?: Timers;
  onSaved?: (saved: AnnotationRead) => void;
  /** Labeling effort to send with each save; committed only when the server has it. */
  effort?: (state: AnnotationState) => EffortDraft;
}

export class Autosaver {
  private _status: SaveStatus = "saved";
  private _version: number;
  private _conflict: Conflict | null = null;
  private _error: string | null = null;
  private _retrying = false;
  private dirty = false;
  private inFlight: Promise<void> | null = null;
  private timer: unknown = null;
  private disposed = false;
  private readonly listeners = new Set<() => void>();
  private readonly timers: Timers;
  private readonly delayMs: number;
  private readonly retryMs: number;

  constructor(private readonly opts: AutosaveOptions) {
    this._version = opts.version;
    this.timers = opts.timers ?? realTimers;
    this.delayMs = opts.delayMs ?? 800;
    this.retryMs = opts.retryMs ?? 4000;
  }

  get status(): SaveStatus {
    return this._status;
  }
  get version(): number {
    return this._version;
  }
  get conflict(): Conflict | null {
    return this._conflict;
  }
  /** The last save failed for a transient reason (network, 5xx) and will be tried again. */
  get retrying(): boolean {
    return this._retrying;
  }

  get error(): string | null {
    return this._error;
  }
  /** True when there are local changes the server has not acknowledged. */
  get hasUnsaved(): boolean {
    return this.dirty || this.inFlight !== null || this._conflict !== null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Call after every user-origin change. */
  notifyChange(): void {
    if (this.disposed) return;
    this.dirty = true;
    if (this._conflict) return; // wait for the annotator's decision
    if (!this.inFlight) this.setStatus("dirty");
    this.schedule(this.delayMs);
  }

  /** Save now if anything is pending; resolves when the server has it (or it failed). */
  async flush(): Promise<void> {
    this.cancelTimer();
    if (this.inFlight) await this.inFlight;
    if (this.dirty && !this._conflict) await this.save();
  }

  /** Conflict resolution: write my state on top of the server's version. */
  async keepMine(): Promise<void> {
    const conflict = this._conflict;
    if (!conflict) return;
    this._version = conflict.theirs.version;
    this._conflict = null;
    this.dirty = true;
    await this.save();
  }

  /** Conflict resolution: adopt the server's copy; the caller loads `theirs` into the store. */
  takeTheirs(): AnnotationRead | null {
    const conflict = this._conflict;
    if (!conflict) return null;
    this._version = conflict.theirs.version;
    this._conflict = null;
    this.dirty = false;
    this.setStatus("saved");
    return conflict.theirs;
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.listeners.clear();
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.save();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private save(): Promise<void> {
    if (this.inFlight) return this.inFlight; // the in-flight save reschedules if still dirty
    if (!this.dirty || this._conflict || this.disposed) return Promise.resolve();
    const state = this.opts.getState();
    this.dirty = false;
    this.setStatus("saving");
    const effort = this.opts.effort?.(state);
    const body: AnnotationWrite = {
      version: this._version,
      keypoints: [...state.points],
      done: state.done,
    };
    if (effort) body.effort = effort.effort;
    this.inFlight = this.opts.client
      .putAnnotation(this.opts.imageId, body)
      .then(
        (saved) => {
          this._version = saved.version;
          this._error = null;
          this._retrying = false;
          effort?.commit();
          this.opts.onSaved?.(saved);
        },
        (err: unknown) => {
          this.dirty = true;
          if (err instanceof ConflictError) {
            this._conflict = { mine: state, theirs: err.current };
            this._error = null;
          } else {
            this._error = err instanceof ApiError ? err.detail : String(err);
            // Retry only what is transient: no response at all, or the server being unwell.
            const transient =
              err instanceof NetworkError || (err instanceof ApiError && err.status >= 500);
            this._retrying = transient;
            if (transient && !this.disposed) this.schedule(this.retryMs);
          }
        },
      )
      .finally(() => {
        this.inFlight = null;
        if (this.disposed) return;
        if (this._conflict) this.setStatus("conflict");
        else if (this._error) this.setStatus("error");
        else if (this.dirty) {
          this.setStatus("dirty");
          this.schedule(this.delayMs);
        } else this.setStatus("saved");
      });
    return this.inFlight;
  }

  private setStatus(status: SaveStatus): void {
    this._status = status;
    for (const listener of [...this.listeners]) listener();
  }
}
