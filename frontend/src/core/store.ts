/**
 * The annotation store: the keypoints and done flag of the image being annotated.
 *
 * Every change goes through `apply` and records its origin: "user" (the annotator did it here,
 * so it is undoable and must be saved) or "server" (loaded from the API, neither undone nor
 * saved back). Each change carries its own inverse, so the undo stack needs no snapshots.
 * The store is framework-free; the UI subscribes to it and never mutates it directly.
 */
import type { Point } from "./types";

export type Origin = "user" | "server";

export interface AnnotationState {
  readonly points: readonly Point[];
  readonly done: boolean;
}

/** A partial update: new points by index in schema order, and/or a new done flag. */
export interface Patch {
  readonly points?: ReadonlyMap<number, Point>;
  readonly done?: boolean;
}

export interface Change {
  readonly patch: Patch;
  readonly inverse: Patch;
  readonly origin: Origin;
  /** Short description for the undo stack ("place eye_left", "accept 3 predictions"). */
  readonly label: string;
  /** True when the whole state was replaced (a load); history before it no longer applies. */
  readonly reset: boolean;
}

export type Listener = (state: AnnotationState, change: Change) => void;

export class AnnotationStore {
  private state: AnnotationState;
  private readonly listeners = new Set<Listener>();

  constructor(initial: AnnotationState) {
    this.state = { points: [...initial.points], done: initial.done };
  }

  get current(): AnnotationState {
    return this.state;
  }

  point(index: number): Point | undefined {
    return this.state.points[index];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Apply a patch; returns the change, or null if it changed nothing. */
  apply(patch: Patch, origin: Origin, label = "edit"): Change | null {
    const points = [...this.state.points];
    const forward = new Map<number, Point>();
    const inverse = new Map<number, Point>();
    for (const [index, next] of patch.points ?? []) {
      const prev = points[index];
      if (prev === undefined) throw new RangeError(`no keypoint at index ${index}`);
      if (samePoint(prev, next)) continue;
      forward.set(index, next);
      inverse.set(index, prev);
      points[index] = next;
    }
    const doneChanges = patch.done !== undefined && patch.done !== this.state.done;
    if (forward.size === 0 && !doneChanges) return null;
    const change: Change = {
      patch: doneChanges ? { points: forward, done: patch.done } : { points: forward },
      inverse: doneChanges ? { points: inverse, done: this.state.done } : { points: inverse },
      origin,
      label,
      reset: false,
    };
    this.state = { points, done: doneChanges ? (patch.done ?? false) : this.state.done };
    this.emit(change);
    return change;
  }

  /** Replace everything (a load from the server, or taking the server's version in a conflict). */
  replace(next: AnnotationState, origin: Origin, label = "load"): Change {
    const forward = new Map<number, Point>();
    const inverse = new Map<number, Point>();
    next.points.forEach((p, i) => {
      forward.set(i, p);
    });
    this.state.points.forEach((p, i) => {
      inverse.set(i, p);
    });
    const change: Change = {
      patch: { points: forward, done: next.done },
      inverse: { points: inverse, done: this.state.done },
      origin,
      label,
      reset: true,
    };
    this.state = { points: [...next.points], done: next.done };
    this.emit(change);
    return change;
  }

  private emit(change: Change): void {
    for (const listener of [...this.listeners]) listener(this.state, change);
  }
}

export function samePoint(a: Point, b: Point): boolean {
  return (
    a.name === b.name &&
    a.x === b.x &&
    a.y === b.y &&
    a.visibility === b.visibility &&
    a.source === b.source
  );
}
