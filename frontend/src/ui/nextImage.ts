import { QueueCache } from "../core/queueReason";
import { queueImageId } from "../core/shortcuts";
import { api } from "./api";

/** The queue page "Next" chose from; the annotator reads why an image is queued from it. */
export const queueCache = new QueueCache((projectId) => api.getQueue(projectId));

/**
 * The next image to annotate: the queue's top suggestion when the project ranks images
 * (uncertainty or random); in sequential order, the first not-done image after `currentId`
 * in id order (wrapping round), so "Next" walks forward instead of jumping back.
 */
export async function findNextImage(projectId: number, currentId: number | null): Promise<number | null> {
  const queue = await queueCache.refresh(projectId);
  if (queue !== null && queue.strategy !== "sequential") {
    const queued = queueImageId(queue, currentId ?? -1);
    if (queued !== null) return queued;
  }
  let before: number | null = null;
  const limit = 200;
  for (let offset = 0; ; offset += limit) {
    const page = await api.listImages(projectId, { offset, limit });
    for (const img of page.items) {
      if (img.state === "done" || img.id === currentId) continue;
      if (currentId === null || img.id > currentId) return img.id;
      before ??= img.id;
    }
    if (offset + limit >= page.total || page.items.length === 0) return before;
  }
}
