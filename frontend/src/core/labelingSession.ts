/**
 * Where "Next" goes. The labeling queue (GET /projects/{id}/queue) lists the images not yet
 * done in its stated order; a labeling session (one browser tab, `sessionStorage`) remembers
 * the images it left without finishing them, so "Next" walks forward through the queue instead
 * of bouncing back to an image the queue still ranks first. Images it left unfinished, with
 * "Next" or with an explicit "Skip", come back only after every image not yet seen, the one
 * left longest ago first (so going round again visits each of them in turn).
 */

/** Images this session left unfinished, in the order they were left (oldest first). */
export interface PassedImages {
  readonly left: readonly number[];
  /** Those of `left` left with "Skip". */
  readonly skipped: readonly number[];
}

/** The answer of `chooseNext` while the queue has pages it has not read. */
export const MORE = "more" as const;

/**
 * The image after `current` in the queue `order` (ids of images not done, as far as read):
 * the first one after `current` that this session has not left, wrapping round; then the
 * images it left, longest ago first. `currentPending` says `current` is itself
 * still queued (not done), so it may be on a page not read yet. Returns MORE when the answer
 * depends on pages not read, null when no other image is left.
 */
export function chooseNext(
  order: readonly number[],
  current: number | null,
  passed: PassedImages,
  currentPending: boolean,
  complete: boolean,
): number | null | typeof MORE {
  const left = new Set(passed.left);
  const fresh = (ids: readonly number[]) => ids.find((id) => id !== current && !left.has(id));
  const at = current === null ? -1 : order.indexOf(current);
  if (at >= 0) {
    const after = fresh(order.slice(at + 1));
    if (after !== undefined) return after;
    if (!complete) return MORE;
    return fresh(order.slice(0, at)) ?? comeBack(order, current, passed);
  }
  if (!complete) {
    if (currentPending && current !== null) return MORE; // it is further down: walk on from there
    return fresh(order) ?? MORE;
  }
  return fresh(order) ?? comeBack(order, current, passed);
}

function comeBack(
  order: readonly number[],
  current: number | null,
  passed: PassedImages,
): number | null {
  const queued = new Set(order);
  const back = passed.left.find((id) => id !== current && queued.has(id));
  return back ?? null;
}

interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function ids(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => Number.isInteger(v)) : [];
}

/**
 * The images one tab left unfinished in one project, and the seed that keeps a `random` queue
 * in the same order page after page. Kept in `sessionStorage`, so a reload keeps them and a new
 * tab starts afresh; storage that is blocked or corrupt reads as a fresh session.
 */
export class LabelingSession {
  private state: { left: number[]; skipped: number[]; seed: number };

  constructor(
    private readonly storage: Storage | null,
    private readonly projectId: number,
    random: () => number = Math.random,
  ) {
    this.state = { left: [], skipped: [], seed: Math.floor(random() * 2 ** 31) };
    try {
      const raw = storage?.getItem(this.key);
      if (raw) {
        const v = JSON.parse(raw) as Record<string, unknown>;
        const seed = Number.isInteger(v.seed) ? (v.seed as number) : this.state.seed;
        const left = ids(v.left);
        this.state = { left, skipped: ids(v.skipped).filter((id) => left.includes(id)), seed };
      }
    } catch {
      // a fresh session
    }
  }

  get key(): string {
    return `keyloop.labeling.${this.projectId}`;
  }

  get seed(): number {
    return this.state.seed;
  }

  get passed(): PassedImages {
    return { left: this.state.left, skipped: this.state.skipped };
  }

  /** How many images this session skipped and has not finished since. */
  get skippedCount(): number {
    return this.state.skipped.length;
  }

  /** An image was left: finished (done), or unfinished with Next or Skip (to the end of `left`). */
  leave(imageId: number, how: "done" | "next" | "skipped"): void {
    const left = this.state.left.filter((id) => id !== imageId);
    const skipped = this.state.skipped.filter((id) => id !== imageId);
    if (how !== "done") left.push(imageId);
    if (how === "skipped") skipped.push(imageId);
    this.state = { ...this.state, left, skipped };
    try {
      this.storage?.setItem(this.key, JSON.stringify(this.state));
    } catch {
      // remembered until the page is left
    }
  }
}
