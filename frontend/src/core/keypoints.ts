/**
 * Pure annotation operations: each returns a Patch for the store (or null when there is nothing
 * to do), so the UI never builds points by hand and every rule is unit-testable.
 */
import type { Size, Vec2 } from "./geometry";
import { clampToImage } from "./geometry";
import type { AnnotationState, Patch } from "./store";
import type { KeypointSchema, Point, PredictedPoint, PredictionRead, Visibility } from "./types";

export function emptyPoints(schema: KeypointSchema): Point[] {
  return schema.keypoints.map((k) => ({
    name: k.name,
    x: null,
    y: null,
    visibility: "unlabeled",
    source: "human",
  }));
}

/** Server points aligned to the schema order (missing names become unlabeled). */
export function alignToSchema(schema: KeypointSchema, points: readonly Point[]): Point[] {
  const byName = new Map(points.map((p) => [p.name, p]));
  return emptyPoints(schema).map((empty) => byName.get(empty.name) ?? empty);
}

export function isPlaced(p: Point | undefined): boolean {
  return p !== undefined && p.visibility !== "unlabeled" && p.x !== null && p.y !== null;
}

/** Index of the next unlabeled keypoint after `from` (wrapping), or null if all are placed. */
export function nextUnlabeled(points: readonly Point[], from: number): number | null {
  const n = points.length;
  for (let step = 1; step <= n; step++) {
    const i = (from + step) % n;
    if (!isPlaced(points[i])) return i;
  }
  return null;
}

export function firstUnlabeled(points: readonly Point[]): number {
  const i = points.findIndex((p) => !isPlaced(p));
  return i === -1 ? 0 : i;
}

/** Two decimals are far below annotation precision and keep saved JSON small. */
function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Keep points strictly inside [0, size) so the server's bounds check never rejects them. */
function inside(xy: Vec2, image: Size): Vec2 {
  const c = clampToImage(xy, image);
  return {
    x: round(Math.min(c.x, image.width - 0.01)),
    y: round(Math.min(c.y, image.height - 0.01)),
  };
}

function one(index: number, p: Point): Patch {
  return { points: new Map([[index, p]]) };
}

export function placePoint(
  state: AnnotationState,
  index: number,
  xy_image: Vec2,
  image: Size,
  visibility: Exclude<Visibility, "unlabeled"> = "visible",
): Patch | null {
  const p = state.points[index];
  if (!p) return null;
  const xy = inside(xy_image, image);
  return one(index, { ...p, x: xy.x, y: xy.y, visibility, source: "human" });
}

/** Moving a point (drag or nudge) always makes it a human point. */
export function movePoint(
  state: AnnotationState,
  index: number,
  xy_image: Vec2,
  image: Size,
): Patch | null {
  const p = state.points[index];
  if (!p || !isPlaced(p)) return null;
  const xy = inside(xy_image, image);
  return one(index, { ...p, x: xy.x, y: xy.y, source: "human" });
}

export function nudgePoint(
  state: AnnotationState,
  index: number,
  dx: number,
  dy: number,
  image: Size,
): Patch | null {
  const p = state.points[index];
  if (!p || p.x === null || p.y === null || !isPlaced(p)) return null;
  return movePoint(state, index, { x: p.x + dx, y: p.y + dy }, image);
}

/** V / O / Delete. Visible/occluded need a position, so they only apply to placed points. */
export function setVisibility(
  state: AnnotationState,
  index: number,
  visibility: Visibility,
): Patch | null {
  const p = state.points[index];
  if (!p) return null;
  if (visibility === "unlabeled") {
    return one(index, { ...p, x: null, y: null, visibility: "unlabeled", source: "human" });
  }
  if (!isPlaced(p)) return null;
  return one(index, { ...p, visibility });
}

export function predictionByName(prediction: PredictionRead | null): Map<string, PredictedPoint> {
  return new Map((prediction?.keypoints ?? []).map((k) => [k.name, k]));
}

/** Accepting keeps the predicted position and marks the point source "prediction". */
function accepted(p: Point, pred: PredictedPoint, image: Size): Point {
  const xy = inside(pred, image);
  return { ...p, x: xy.x, y: xy.y, visibility: "visible", source: "prediction" };
}

export function acceptPrediction(
  state: AnnotationState,
  index: number,
  prediction: PredictionRead | null,
  image: Size,
): Patch | null {
  const p = state.points[index];
  const pred = p ? predictionByName(prediction).get(p.name) : undefined;
  if (!p || !pred || isPlaced(p)) return null;
  return one(index, accepted(p, pred, image));
}

/**
 * Whether a prediction is offered as an answer: the server flags a peak on the image border or
 * below its confidence floor (`doubt`), which is shown but never accepted in bulk.
 */
export function isOffered(pred: PredictedPoint): boolean {
  return !pred.doubt;
}

/** Accept every offered prediction at or above `threshold` whose keypoint is still unlabeled. */
export function acceptAllAbove(
  state: AnnotationState,
  prediction: PredictionRead | null,
  threshold: number,
  image: Size,
): Patch | null {
  const preds = predictionByName(prediction);
  const points = new Map<number, Point>();
  state.points.forEach((p, i) => {
    const pred = preds.get(p.name);
    if (pred && !isPlaced(p) && isOffered(pred) && pred.confidence >= threshold)
      points.set(i, accepted(p, pred, image));
  });
  return points.size > 0 ? { points } : null;
}

/** Red (0) → amber (0.5) → green (1): how far to trust a predicted point. */
export function confidenceColor(confidence: number): string {
  const c = Math.min(1, Math.max(0, confidence));
  const hue = Math.round(c * 120);
  return `hsl(${hue}, 85%, 50%)`;
}

export function countPlaced(points: readonly Point[]): number {
  return points.filter(isPlaced).length;
}

/**
 * Which marker a click on a stack of overlapping markers selects: the one after the selected
 * keypoint in the stack (topmost first), so clicking again walks through all of them; the
 * topmost when the selected one is not under the cursor.
 */
export function nextInStack(stack: readonly number[], active: number): number | null {
  if (stack.length === 0) return null;
  const at = stack.indexOf(active);
  return at < 0 ? stack[0]! : stack[(at + 1) % stack.length]!;
}
