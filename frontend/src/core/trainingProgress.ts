/**
 * What a training job's progress bar and line say. A CPU retraining is bounded by minutes as
 * well as steps and usually ends on the clock, so "448 / 3000 steps" at 15 % is wrong for it:
 * the bar follows whichever budget is nearer its end, the line shows elapsed / budget and an
 * estimate of the time left, and a finished job is full, saying what ended it.
 */
import type { JobRead } from "./adminTypes";
import { parseServerTime } from "./time";

export interface TrainingProgressView {
  /** In [0, 1]. */
  readonly fraction: number;
  readonly text: string;
}

function minutes(seconds: number): string {
  return seconds < 90 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function trainingProgress(
  job: JobRead,
  step: number,
  total: number,
  nowMs: number,
): TrainingProgressView {
  const budgetMin = num(job.progress.max_minutes) ?? num(job.options.max_minutes);
  const budget = budgetMin !== null && budgetMin > 0 ? budgetMin * 60 : null;
  const start = job.started_at ? parseServerTime(job.started_at) : null;
  const end = job.finished_at ? parseServerTime(job.finished_at) : nowMs;
  const elapsed = start !== null ? Math.max(0, (end - start) / 1000) : 0;
  const byStep = total > 0 ? Math.min(1, step / total) : 0;
  const byTime = budget !== null ? Math.min(1, elapsed / budget) : 0;
  if (job.state === "queued") return { fraction: 0, text: "waiting for the worker" };
  if (job.state === "succeeded") {
    const why =
      step >= total
        ? `all ${total} steps`
        : budget !== null
          ? `the ${minutes(budget)} time budget`
          : "stopped early";
    return { fraction: 1, text: `finished: ${step} steps in ${minutes(elapsed)} (${why})` };
  }
  if (job.state !== "running") {
    return {
      fraction: Math.max(byStep, byTime),
      text: `${job.state} at step ${step} / ${total} after ${minutes(elapsed)}`,
    };
  }
  const phase = job.progress.phase;
  if (phase && phase !== "training") {
    return { fraction: 1, text: `training done at step ${step}; ${phase}…` };
  }
  const timeBound = budget !== null && byTime >= byStep;
  const fraction = Math.max(byStep, byTime);
  let left: number | null = null;
  if (timeBound && budget !== null) left = budget - elapsed;
  else if (step > 0 && total > step) left = (elapsed * (total - step)) / step;
  const clock =
    budget !== null ? ` · ${minutes(elapsed)} / ${minutes(budget)}` : ` · ${minutes(elapsed)}`;
  const eta = left !== null && left > 0 ? ` · about ${minutes(left)} left` : "";
  return { fraction, text: `step ${step} / ${total}${clock}${eta}` };
}
