import { describe, expect, it, vi } from "vitest";
import { AnnotationStore, type Change } from "../../src/core/store";
import { emptyPoints } from "../../src/core/keypoints";
import { schema, visible } from "../fixtures";

function freshStore(): AnnotationStore {
  return new AnnotationStore({ points: emptyPoints(schema), done: false });
}

describe("AnnotationStore", () => {
  it("records the origin and the inverse of every change", () => {
    const store = freshStore();
    const seen: Change[] = [];
    store.subscribe((_s, c) => seen.push(c));
    store.apply({ points: new Map([[2, visible("beak", 5, 6)]]) }, "user", "place beak");
    expect(store.current.points[2]).toEqual(visible("beak", 5, 6));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.origin).toBe("user");
    expect(seen[0]?.label).toBe("place beak");
    expect(seen[0]?.inverse.points?.get(2)?.visibility).toBe("unlabeled");
  });

  it("applying the inverse restores the previous state", () => {
    const store = freshStore();
    const before = store.current;
    const change = store.apply(
      { points: new Map([[0, visible("eye_left", 1, 2)]]), done: true },
      "user",
    );
    expect(store.current.done).toBe(true);
    store.apply(change!.inverse, "user");
    expect(store.current).toEqual(before);
  });

  it("ignores patches that change nothing", () => {
    const store = freshStore();
    const listener = vi.fn();
    store.subscribe(listener);
    expect(
      store.apply({ points: new Map([[0, store.current.points[0]!]]), done: false }, "user"),
    ).toBeNull();
    expect(listener).not.toHaveBeenCalled();
  });

  it("does not mutate earlier states (subscribers may keep them)", () => {
    const store = freshStore();
    const old = store.current;
    store.apply({ points: new Map([[1, visible("eye_right", 3, 3)]]) }, "user");
    expect(old.points[1]?.visibility).toBe("unlabeled");
  });

  it("replace marks a reset with the given origin", () => {
    const store = freshStore();
    const changes: Change[] = [];
    store.subscribe((_s, c) => changes.push(c));
    store.replace(
      { points: [visible("eye_left", 1, 1), ...emptyPoints(schema).slice(1)], done: true },
      "server",
    );
    expect(changes[0]?.reset).toBe(true);
    expect(changes[0]?.origin).toBe("server");
    expect(store.current.done).toBe(true);
  });

  it("rejects an index outside the schema", () => {
    expect(() =>
      freshStore().apply({ points: new Map([[9, visible("x", 0, 0)]]) }, "user"),
    ).toThrow(RangeError);
  });
});
