/**
 * Finishing an image: "done and next", "accept the rest and next", the warning before a done
 * that would drop confident predictions, and a project's choice to mark an image done as soon
 * as every keypoint is placed. Pure functions over the store's state, so each rule is tested
 * without a browser.
 */
import type { Size } from "./geometry";
import { acceptAllAbove, isOffered, isPlaced, predictionByName } from "./keypoints";
import type { AnnotationState, Patch } from "./store";
import type { Point, PredictionRead } from "./types";

export interface Unaccepted {
  readonly index: number;
  readonly name: string;
  readonly confidence: number;
}

/**
 * The keypoints still unlabeled whose prediction is offered at or above `threshold`: what a
 * "done" now would silently leave out. Predictions below the threshold, on the image border
 * or below the confidence floor are the model's doubts, not its answers, and do not count.
 */
export function unacceptedPredictions(
  state: AnnotationState,
  prediction: PredictionRead | null,
  threshold: number,
): Unaccepted[] {
  const preds = predictionByName(prediction);
  const out: Unaccepted[] = [];
  state.points.forEach((p, index) => {
    const pred = preds.get(p.name);
    if (pred && !isPlaced(p) && isOffered(pred) && pred.confidence >= threshold) {
      out.push({ index, name: p.name, confidence: pred.confidence });
    }
  });
  return out;
}

/** "Done": with `acceptRest`, the offered predictions at or above the threshold are accepted in the same step. */
export function finishPatch(
  state: AnnotationState,
  prediction: PredictionRead | null,
  threshold: number,
  image: Size,
  acceptRest: boolean,
): Patch {
  const accepted = acceptRest ? acceptAllAbove(state, prediction, threshold, image) : null;
  return { ...(accepted ?? {}), done: true };
}

function allPlaced(points: readonly Point[]): boolean {
  return points.length > 0 && points.every(isPlaced);
}

/**
 * A project with `auto_done` marks an image done in the same (undoable) step as the edit that
 * places its last keypoint. Only that edit: an image unmarked by hand stays unmarked while its
 * points are moved.
 */
export function withAutoDone(state: AnnotationState, patch: Patch, autoDone: boolean): Patch {
  if (!autoDone || state.done || patch.done !== undefined || !patch.points) return patch;
  if (allPlaced(state.points)) return patch;
  const after = state.points.map((p, i) => patch.points?.get(i) ?? p);
  return allPlaced(after) ? { ...patch, done: true } : patch;
}
