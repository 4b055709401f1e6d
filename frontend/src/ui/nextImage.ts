import { chooseNext, LabelingSession, MORE } from "../core/labelingSession";
import { QueueCache } from "../core/queueReason";
import { api } from "./api";

const PAGE = 100;

const sessions = new Map<number, LabelingSession>();

/** This tab's labeling session in a project (what it skipped, its random-order seed). */
export function labelingSession(projectId: number): LabelingSession {
  let s = sessions.get(projectId);
  if (!s) {
    let storage: Storage | null = null;
    try {
      storage = window.sessionStorage;
    } catch {
      // blocked by privacy settings: the session lasts as long as the page
    }
    s = new LabelingSession(storage, projectId);
    sessions.set(projectId, s);
  }
  return s;
}

/** The queue page "Next" chose from; the annotator reads why an image is queued from it. */
export const queueCache = new QueueCache((projectId) =>
  api.getQueue(projectId, { limit: PAGE, seed: labelingSession(projectId).seed }),
);

/**
 * The next image to annotate after `currentId` (null: from the start), walking forward through
 * the project's queue in its stated order and leaving the images this session passed for the
 * end (core/labelingSession). `currentPending`: the current image is not done, so it is still
 * in the queue. Reads further queue pages only while the answer depends on them.
 */
export async function findNextImage(
  projectId: number,
  currentId: number | null,
  currentPending = false,
): Promise<number | null> {
  const session = labelingSession(projectId);
  const order: number[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page =
      offset === 0
        ? await queueCache.refresh(projectId)
        : await api.getQueue(projectId, { offset, limit: PAGE, seed: session.seed });
    if (page === null) return null;
    order.push(...page.items.map((i) => i.image.id));
    const complete = page.items.length < PAGE || offset + PAGE >= page.remaining;
    const next = chooseNext(order, currentId, session.passed, currentPending, complete);
    if (next !== MORE) return next;
    if (complete) return null;
  }
}
