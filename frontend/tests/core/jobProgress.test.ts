import { describe, expect, it } from "vitest";
import type { HistoryEntry, JobRead } from "../../src/core/adminTypes";
import { lastSeq, mergeJobUpdate } from "../../src/core/jobProgress";

function job(history: HistoryEntry[] | undefined, extra: Partial<JobRead> = {}): JobRead {
  return {
    id: 7,
    project_id: 1,
    kind: "train",
    state: "running",
    options: {},
    progress: history === undefined ? {} : { history },
    error: null,
    cancel_requested: false,
    created_at: "",
    started_at: null,
    finished_at: null,
    ...extra,
  };
}

describe("lastSeq", () => {
  it("is the highest entry number held, or null when nothing is numbered", () => {
    expect(lastSeq(job([{ seq: 1 }, { seq: 3 }, { seq: 2 }]))).toBe(3);
    expect(lastSeq(job([{ step: 5 }]))).toBeNull();
    expect(lastSeq(job(undefined))).toBeNull();
  });
});

describe("mergeJobUpdate", () => {
  it("appends the newer entries to those held and takes everything else from the update", () => {
    const held = job([
      { seq: 1, phase: "training" },
      { seq: 2, step: 10 },
    ]);
    const update = job([{ seq: 3, step: 20 }], { state: "succeeded" });
    const merged = mergeJobUpdate(held, update, 2);
    expect(merged.progress.history?.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(merged.state).toBe("succeeded");
  });

  it("drops held entries the update repeats, so an entry is never shown twice", () => {
    const held = job([{ seq: 1 }, { seq: 2 }]);
    const merged = mergeJobUpdate(held, job([{ seq: 2 }, { seq: 3 }]), 1);
    expect(merged.progress.history?.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("takes a full fetch as it is", () => {
    const update = job([{ seq: 1 }]);
    expect(mergeJobUpdate(job([{ step: 1 }]), update, null)).toBe(update);
    expect(mergeJobUpdate(job([{ seq: 1 }], { id: 8 }), update, 1)).toBe(update);
  });
});
