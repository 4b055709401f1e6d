import { describe, expect, it } from "vitest";
import {
  chooseNext,
  LabelingSession,
  MORE,
  type PassedImages,
} from "../../src/core/labelingSession";

const none: PassedImages = { left: [], skipped: [] };

class MemoryStorage {
  items = new Map<string, string>();
  getItem(k: string) {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.items.set(k, v);
  }
}

describe("chooseNext", () => {
  it("walks forward from the current image and wraps round", () => {
    expect(chooseNext([1, 2, 3], 1, none, true, true)).toBe(2);
    expect(chooseNext([1, 2, 3], 3, none, true, true)).toBe(1);
    expect(chooseNext([1, 2, 3], null, none, false, true)).toBe(1);
  });

  it("never bounces back to an image the session left while others remain", () => {
    // The queue still ranks the image just left first: Next goes on to the third, not back.
    const session = new LabelingSession(null, 1);
    session.leave(1, "next");
    expect(chooseNext([1, 2, 3], 2, session.passed, true, true)).toBe(3);
    session.leave(2, "next");
    expect(chooseNext([1, 2, 3, 4], 3, session.passed, true, true)).toBe(4);
  });

  it("brings left images back only at the end, the one left longest ago first", () => {
    const passed = { left: [5, 2, 1], skipped: [2, 1] };
    expect(chooseNext([1, 2, 5, 9], 9, passed, true, true)).toBe(5);
    expect(chooseNext([1, 2, 9], 9, passed, true, true)).toBe(2); // 5 is done meanwhile
    expect(chooseNext([1, 2], 2, passed, true, true)).toBe(1);
  });

  it("goes round every unfinished image in turn, skipped ones included", () => {
    const session = new LabelingSession(null, 1);
    const order = [1, 2, 3];
    let current = 1;
    const seen: number[] = [];
    for (let step = 0; step < 6; step++) {
      const next = chooseNext(order, current, session.passed, true, true);
      session.leave(current, step === 0 ? "skipped" : "next");
      seen.push(next as number);
      current = next as number;
    }
    expect(seen).toEqual([2, 3, 1, 2, 3, 1]);
  });

  it("starts from the first fresh image when the current one is done", () => {
    expect(chooseNext([4, 6, 8], 5, { left: [4], skipped: [] }, false, true)).toBe(6);
  });

  it("says when it must read more of the queue, and when nothing is left", () => {
    expect(chooseNext([1, 2], 7, none, true, false)).toBe(MORE); // 7 is further down
    expect(chooseNext([1, 2], 2, none, true, false)).toBe(MORE);
    expect(chooseNext([1, 2], 7, none, false, false)).toBe(1); // 7 is done: the first fresh one
    expect(chooseNext([1, 2], 7, { left: [1, 2], skipped: [] }, false, false)).toBe(MORE);
    expect(chooseNext([3], 3, none, true, true)).toBeNull();
    expect(chooseNext([], null, none, false, true)).toBeNull();
  });

  it("forgets nothing but done images: a finished image never comes back", () => {
    const session = new LabelingSession(null, 1);
    session.leave(1, "skipped");
    session.leave(1, "done");
    expect(session.passed).toEqual({ left: [], skipped: [] });
    expect(session.skippedCount).toBe(0);
  });
});

describe("LabelingSession", () => {
  it("is kept per project in session storage, with its random-order seed", () => {
    const storage = new MemoryStorage();
    const first = new LabelingSession(storage, 3, () => 0.25);
    first.leave(10, "skipped");
    first.leave(11, "next");
    first.leave(10, "next"); // moved, not duplicated, and no longer counted as skipped
    const again = new LabelingSession(storage, 3, () => 0.9);
    expect(again.passed).toEqual({ left: [11, 10], skipped: [] });
    expect(again.seed).toBe(first.seed);
    expect(new LabelingSession(storage, 4).passed).toEqual({ left: [], skipped: [] });
  });

  it("reads corrupt or blocked storage as a fresh session", () => {
    const storage = new MemoryStorage();
    storage.setItem("keyloop.labeling.3", "{not json");
    expect(new LabelingSession(storage, 3).passed).toEqual({ left: [], skipped: [] });
    storage.setItem("keyloop.labeling.3", JSON.stringify({ left: ["x", 2], skipped: null }));
    expect(new LabelingSession(storage, 3).passed).toEqual({ left: [2], skipped: [] });
    const blocked = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("denied");
      },
    };
    const session = new LabelingSession(blocked, 3);
    session.leave(1, "skipped");
    expect(session.skippedCount).toBe(1);
  });
});
