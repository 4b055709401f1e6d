/**
 * Labeling effort for one open image, reported with each save (`AnnotationWrite.effort`): the
 * product's own measure of how much work a model in the loop saves. Aggregates only: counts and
 * seconds per save, never a log of what was clicked when.
 *
 * Each keypoint's *outcome* compares what is about to be saved with what the image held when it
 * was opened (`classify`). A save reports the keypoints whose outcome changed since the last
 * acknowledged save, so two saves never count the same keypoint twice in one category: a point
 * placed and then adjusted stays one "placed"; a move undone before the save is no move.
 * Counts cannot go down, so a keypoint reported "accepted" and changed later (moved, cleared,
 * the acceptance undone) is reported in `accepted_revoked`; the server nets the two.
 * Clicks (store changes that touched a point, undo and redo included) and active seconds
 * (`ActiveTime`) are the increase since the last acknowledged save. A failed save commits
 * nothing, so its counts go with the next one.
 */
import { ActiveTime, type Clock } from "./activeTime";
import { isPlaced } from "./keypoints";
import { samePoint } from "./store";
import type { EffortWrite, Point, PredictionRead } from "./types";

/** The server refuses more per save; a longer stretch without a save is cut to this. */
export const MAX_SECONDS_PER_SAVE = 3600;

export type Outcome =
  | "none"
  | "placed"
  | "moved"
  | "accepted"
  | "occluded"
  | "unlabeled"
  | "edited";

const COUNTED = ["placed", "moved", "accepted", "occluded", "unlabeled"] as const;

/**
 * What happened to a keypoint between opening (`before`) and now. `offered`: the model
 * predicted this keypoint and it was unlabeled at opening, so labeling it could use the
 * prediction: a visible human point is then a correction ("moved", whether the prediction was
 * dragged or the point placed anew), otherwise a placement by hand.
 */
export function classify(before: Point, now: Point, offered: boolean): Outcome {
  if (samePoint(before, now)) return "none";
  const wasPlaced = isPlaced(before);
  if (now.visibility === "unlabeled") return wasPlaced ? "unlabeled" : "none";
  if (now.visibility === "occluded") return before.visibility === "occluded" ? "moved" : "occluded";
  if (!wasPlaced) return now.source === "prediction" ? "accepted" : offered ? "moved" : "placed";
  if (before.x !== now.x || before.y !== now.y) return "moved";
  return "edited"; // made visible again in place: work (a click), but none of the counted kinds
}

export interface EffortDraft {
  readonly effort: EffortWrite;
  /** The save carrying `effort` succeeded: count from here on. */
  commit(): void;
}

export class EffortCounter {
  readonly time: ActiveTime;
  private baseline: readonly Point[];
  private reported: Outcome[];
  private predictedCounted = new Set<number>();
  private clicks = 0;
  private committedClicks = 0;
  private committedMs = 0;
  private readonly offeredNames: ReadonlySet<string>;
  private readonly modelVersionId: number | null;

  constructor(
    opened: readonly Point[],
    prediction: PredictionRead | null,
    now: Clock = Date.now,
    attentive = true,
  ) {
    this.time = new ActiveTime(now, attentive);
    this.baseline = [...opened];
    this.reported = opened.map(() => "none");
    this.offeredNames = new Set((prediction?.keypoints ?? []).map((k) => k.name));
    this.modelVersionId = prediction?.model_version_id ?? null;
  }

  /** A user change that touched at least one point: one click, and an input for the clock. */
  click(): void {
    this.clicks += 1;
    this.time.input();
  }

  /**
   * The store was replaced by the server's copy (a conflict resolved with "take theirs"):
   * outcomes now count from that copy; unsaved clicks and seconds stay, they were work.
   */
  rebase(points: readonly Point[]): void {
    this.baseline = [...points];
    this.reported = points.map(() => "none");
    this.predictedCounted = new Set();
  }

  /** The effort to send with a save of `points`; nothing changes until `commit`. */
  draft(points: readonly Point[]): EffortDraft {
    const effort: EffortWrite = {
      placed: 0,
      moved: 0,
      accepted: 0,
      accepted_revoked: 0,
      occluded: 0,
      unlabeled: 0,
      predicted: 0,
      clicks: this.clicks - this.committedClicks,
      active_seconds: 0,
      model_version_id: this.modelVersionId,
    };
    const reported = [...this.reported];
    const predicted = new Set(this.predictedCounted);
    points.forEach((p, i) => {
      const before = this.baseline[i];
      if (!before) return;
      const offered = this.offeredNames.has(p.name) && !isPlaced(before);
      const outcome = classify(before, p, offered);
      if (offered && isPlaced(p) && !predicted.has(i)) {
        predicted.add(i);
        effort.predicted += 1;
      }
      if (outcome === reported[i]) return;
      if (reported[i] === "accepted") effort.accepted_revoked += 1;
      if ((COUNTED as readonly string[]).includes(outcome))
        effort[outcome as (typeof COUNTED)[number]] += 1;
      reported[i] = outcome;
    });
    const elapsedMs = this.time.elapsedMs();
    const seconds = Math.min(MAX_SECONDS_PER_SAVE, (elapsedMs - this.committedMs) / 1000);
    effort.active_seconds = Math.round(seconds * 10) / 10;
    const clicks = this.clicks;
    return {
      effort,
      commit: () => {
        this.reported = reported;
        this.predictedCounted = predicted;
        this.committedClicks = clicks;
        this.committedMs = elapsedMs;
      },
    };
  }
}
