/**
 * Walking the review queue: the open suspects of a project, worst first, one at a time.
 *
 * A decision saves the image, which on the server closes every suspect of that image (they are
 * open only at the annotation version they were scored on). The queue keeps the image's other
 * suspects in this walk with the new version, so the reviewer still sees each flagged keypoint;
 * a conflict (someone else saved the image) drops them, since their labels changed under them.
 * Pure and framework-free; `ui/Review.tsx` draws it.
 */
import type { Decision, SuspectKind, SuspectPage, SuspectRead } from "./reviewApi";
import type { KeypointSchema } from "./types";

export interface ReviewItem {
  suspect: SuspectRead;
  /** The annotation version a decision must send: the suspect's, or our own last save's. */
  version: number;
  decision: Decision | null;
}

export class ReviewQueue {
  private items: ReviewItem[] = [];
  private index = 0;

  constructor(page: SuspectPage = { total: 0, items: [] }) {
    this.merge(page);
  }

  /** Add suspects not yet in the walk (a page fetched again after decisions closed some). */
  merge(page: SuspectPage): void {
    const known = new Set(this.items.map((i) => i.suspect.id));
    for (const suspect of page.items) {
      if (known.has(suspect.id)) continue;
      this.items.push({ suspect, version: suspect.annotation_version, decision: null });
    }
    if (this.current?.decision != null) this.toNextUndecided();
  }

  get current(): ReviewItem | null {
    return this.items[this.index] ?? null;
  }
  get position(): number {
    return this.index;
  }
  get length(): number {
    return this.items.length;
  }
  get undecided(): number {
    return this.items.filter((i) => i.decision === null).length;
  }
  get decided(): number {
    return this.items.length - this.undecided;
  }

  /** J / arrow: the next suspect in worst-first order, decided or not; false at the end. */
  next(): boolean {
    if (this.index + 1 >= this.items.length) return false;
    this.index += 1;
    return true;
  }
  /** K / arrow: the previous one; false at the start. */
  previous(): boolean {
    if (this.index === 0) return false;
    this.index -= 1;
    return true;
  }

  /** The current suspect was decided and its image saved at `newVersion`: its other
   * suspects now need that version, and the walk moves to the next undecided one. */
  decide(decision: Decision, newVersion: number): void {
    const item = this.current;
    if (!item) return;
    item.decision = decision;
    for (const other of this.items) {
      if (other.suspect.image_id === item.suspect.image_id) other.version = newVersion;
    }
    this.toNextUndecided();
  }

  /** Someone else saved this image: drop its undecided suspects (their labels changed). */
  dropImage(imageId: number): void {
    const currentId = this.current?.suspect.id;
    const before = this.items.slice(0, this.index).filter((i) => !dropped(i, imageId)).length;
    this.items = this.items.filter((i) => !dropped(i, imageId));
    const stillThere = this.items.findIndex((i) => i.suspect.id === currentId);
    this.index =
      stillThere >= 0 ? stillThere : Math.min(before, Math.max(0, this.items.length - 1));
    if (this.current?.decision != null) this.toNextUndecided();
  }

  /** Forward to the next undecided suspect, else the first undecided one before; stays put when
   * every suspect is decided. */
  private toNextUndecided(): void {
    const after = this.items.findIndex((i, k) => k > this.index && i.decision === null);
    const any = after >= 0 ? after : this.items.findIndex((i) => i.decision === null);
    if (any >= 0) this.index = any;
  }
}

function dropped(item: ReviewItem, imageId: number): boolean {
  return item.suspect.image_id === imageId && item.decision === null;
}

/** The keypoint's left/right counterpart in the schema's flip pairs; null when it has none
 * (then there is nothing to swap with). */
export function flipPartner(schema: KeypointSchema, keypoint: string): string | null {
  for (const [a, b] of schema.flip_pairs) {
    if (a === keypoint) return b;
    if (b === keypoint) return a;
  }
  return null;
}

export type ReviewAction =
  | "accept"
  | "swap"
  | "fix"
  | "save-fix"
  | "cancel-fix"
  | "next"
  | "previous";

/** The review page's keys. `S` only where the keypoint has a flip pair; Enter and Escape only
 * while fixing (placing the point). */
export function reviewKeyAction(
  key: string,
  state: { canSwap: boolean; fixing: boolean },
): ReviewAction | null {
  switch (key) {
    case "a":
    case "A":
      return state.fixing ? null : "accept";
    case "s":
    case "S":
      return state.canSwap && !state.fixing ? "swap" : null;
    case "f":
    case "F":
      return state.fixing ? "cancel-fix" : "fix";
    case "Enter":
      return state.fixing ? "save-fix" : null;
    case "Escape":
      return state.fixing ? "cancel-fix" : null;
    case "j":
    case "J":
    case "ArrowRight":
    case "ArrowDown":
      return "next";
    case "k":
    case "K":
    case "ArrowLeft":
    case "ArrowUp":
      return "previous";
    default:
      return null;
  }
}

export interface XY {
  x: number;
  y: number;
}
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A square crop of the image around the points under review (label, prediction, the flip
 * partner), with a margin, never smaller than `minSide` where the image allows, clamped inside
 * the image. In image pixels. */
export function cropAround(
  points: readonly XY[],
  width: number,
  height: number,
  minSide = 96,
): Rect {
  if (points.length === 0) return { x: 0, y: 0, w: width, h: height };
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const extent = Math.max(x1 - x0, y1 - y0);
  // At least 30 % of the image's shorter side: enough of the animal to tell what the point is.
  const side = Math.min(
    Math.max(extent * 1.6, minSide, 0.3 * Math.min(width, height)),
    width,
    height,
  );
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const x = Math.min(Math.max(cx - side / 2, 0), width - side);
  const y = Math.min(Math.max(cy - side / 2, 0), height - side);
  return { x, y, w: side, h: side };
}

const REASON_TITLES: Record<SuspectKind, string> = {
  far_from_prediction: "Far from a confident prediction",
  classified_as_other: "Looks like another keypoint",
  left_right_swap: "Left and right may be swapped",
  edge_length: "A skeleton edge has an unusual length",
  outside_roi: "Outside the region of interest",
};

/** A reason in words: its title, then the scorer's sentence. */
export function reasonTitle(kind: string): string {
  return (REASON_TITLES as Record<string, string>)[kind] ?? kind.replace(/_/g, " ");
}
