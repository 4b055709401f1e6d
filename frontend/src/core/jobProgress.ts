/**
 * Incremental polling of a job: the server numbers history entries (`seq`), the client asks
 * only for entries after the last it holds (`GET /jobs/{id}?since=N`) and appends them, so a
 * long training's history is not sent again every 1.5 s.
 */
import type { JobRead } from "./adminTypes";

/** The `seq` of the last history entry held, or null when there is none to count from (no
 * history yet, or a job recorded before entries were numbered): then fetch everything. */
export function lastSeq(job: JobRead): number | null {
  let last: number | null = null;
  for (const entry of job.progress.history ?? []) {
    if (typeof entry.seq === "number" && (last === null || entry.seq > last)) last = entry.seq;
  }
  return last;
}

/** `held` brought up to date by `update`, fetched with `since = lastSeq(held)`. */
export function mergeJobUpdate(held: JobRead, update: JobRead, since: number | null): JobRead {
  if (since === null || held.id !== update.id) return update;
  const older = (held.progress.history ?? []).filter(
    (e) => typeof e.seq !== "number" || e.seq <= since,
  );
  return {
    ...update,
    progress: { ...update.progress, history: [...older, ...(update.progress.history ?? [])] },
  };
}
