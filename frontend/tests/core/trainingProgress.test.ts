import { describe, expect, it } from "vitest";
import type { JobRead } from "../../src/core/adminTypes";
import { trainingProgress } from "../../src/core/trainingProgress";

const start = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function job(
  state: JobRead["state"],
  progress: JobRead["progress"],
  finishedAfterS: number | null = null,
): JobRead {
  return {
    id: 1,
    project_id: 1,
    kind: "train",
    state,
    options: {},
    progress,
    error: null,
    cancel_requested: false,
    created_at: iso(start),
    started_at: iso(start),
    finished_at: finishedAfterS === null ? null : iso(start + finishedAfterS * 1000),
  };
}

describe("training progress", () => {
  it("follows the clock when the time budget ends the run first, with an ETA", () => {
    const view = trainingProgress(
      job("running", { phase: "training", max_minutes: 8 }),
      120,
      3000,
      start + 4 * 60_000,
    );
    expect(view.fraction).toBeCloseTo(0.5);
    expect(view.text).toBe("step 120 / 3000 · 4.0 min / 8.0 min · about 4.0 min left");
  });

  it("follows the steps when they end the run first", () => {
    const view = trainingProgress(
      job("running", { phase: "training", max_minutes: 60 }),
      50,
      100,
      start + 60_000,
    );
    expect(view.fraction).toBeCloseTo(0.5);
    expect(view.text).toBe("step 50 / 100 · 60 s / 60.0 min · about 60 s left");
  });

  it("is full when finished, saying the time budget ended it", () => {
    const view = trainingProgress(
      job("succeeded", { max_minutes: 8 }, 481),
      448,
      3000,
      start + 10 * 60_000,
    );
    expect(view.fraction).toBe(1);
    expect(view.text).toBe("finished: 448 steps in 8.0 min (the 8.0 min time budget)");
  });

  it("says when it waits, and what follows training", () => {
    expect(trainingProgress(job("queued", {}), 0, 0, start).text).toBe("waiting for the worker");
    const after = trainingProgress(
      job("running", { phase: "predicting", max_minutes: 8 }),
      448,
      3000,
      start + 500_000,
    );
    expect(after).toEqual({ fraction: 1, text: "training done at step 448; predicting…" });
  });
});
