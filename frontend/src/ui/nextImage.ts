import { queueImageId } from "../core/shortcuts";
import { api } from "./api";

/**
 * The next image to annotate: the server's queue suggestion when the endpoint exists,
 * else the first not-done image after `currentId` in id order (wrapping round).
 */
export async function findNextImage(projectId: number, currentId: number | null): Promise<number | null> {
  const queued = queueImageId(await api.getQueue(projectId), currentId ?? -1);
  if (queued !== null) return queued;
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
