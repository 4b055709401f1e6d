/**
 * Why an image is in the labeling queue, read from a page of GET /projects/{id}/queue: the
 * image's uncertainty and the unlabeled keypoints the model is least sure of. Only the
 * `uncertainty` strategy gives reasons; random and sequential orders, images the worker has
 * not ranked and images not on the page have none.
 */
import type { QueueRead, UncertainKeypoint } from "./types";

export interface QueueReason {
  /** The image's uncertainty in [0, 1]. */
  readonly score: number;
  /** Most uncertain first (the server names a few). */
  readonly keypoints: readonly UncertainKeypoint[];
}

export function queueReason(queue: QueueRead | null, imageId: number): QueueReason | null {
  if (queue === null || queue.strategy !== "uncertainty") return null;
  const item = queue.items.find((i) => i.image.id === imageId);
  if (!item || item.score === null) return null;
  return { score: item.score, keypoints: item.uncertain_keypoints };
}

/** "the model is unsure of tail, beak (uncertainty 0.82)", after "Asked for: ". */
export function reasonText(reason: QueueReason): string {
  const names = reason.keypoints.map((k) => k.name).join(", ");
  return `the model is unsure of ${names || "this image"} (uncertainty ${reason.score.toFixed(2)})`;
}

// The signals of worker/ml/uncertainty.py, in the annotator's words.
const SIGNALS: Record<string, string> = {
  equivariance: "it moves when the image is warped",
  invariance: "its representation is unstable",
  semantic: "the keypoint classifier is unsure",
  low_confidence: "its heatmap peak is weak",
};

/** The tooltip of a keypoint the queue names. */
export function keypointHint(k: UncertainKeypoint): string {
  const signal = k.reason === null ? undefined : SIGNALS[k.reason];
  return `Model uncertainty ${k.uncertainty.toFixed(2)}${signal ? `: ${signal}` : ""}`;
}

/**
 * The last queue page of a project. "Next" fetches a page to choose the image, and the image it
 * opens reads its reason from that same page instead of asking again; a page older than
 * `maxAgeMs`, or another project's, is fetched anew.
 */
export class QueueCache {
  private last: { projectId: number; at: number; queue: QueueRead | null } | null = null;

  constructor(
    private readonly fetchQueue: (projectId: number) => Promise<QueueRead | null>,
    private readonly maxAgeMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh page, remembered for the image it leads to. */
  async refresh(projectId: number): Promise<QueueRead | null> {
    const queue = await this.fetchQueue(projectId);
    this.last = { projectId, at: this.now(), queue };
    return queue;
  }

  async reasonFor(projectId: number, imageId: number): Promise<QueueReason | null> {
    const last = this.last;
    const recent =
      last !== null && last.projectId === projectId && this.now() - last.at <= this.maxAgeMs;
    return queueReason(recent ? last.queue : await this.refresh(projectId), imageId);
  }
}
