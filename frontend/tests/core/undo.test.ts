import { describe, expect, it } from "vitest";
import { AnnotationStore } from "../../src/core/store";
import { UndoStack, recordUserChanges } from "../../src/core/undo";
import { emptyPoints } from "../../src/core/keypoints";
import { schema, visible } from "../fixtures";

function setup() {
  const store = new AnnotationStore({ points: emptyPoints(schema), done: false });
  const stack = new UndoStack();
  recordUserChanges(store, stack);
  const place = (i: number, x: number) =>
    store.apply(
      { points: new Map([[i, visible(schema.keypoints[i]!.name, x, x)]]) },
      "user",
      `place ${i}`,
    );
  return { store, stack, place };
}

describe("UndoStack with the store", () => {
  it("undoes and redoes user changes in order", () => {
    const { store, stack, place } = setup();
    place(0, 10);
    place(1, 20);
    expect(stack.undo()).toBe(true);
    expect(store.current.points[1]?.visibility).toBe("unlabeled");
    expect(store.current.points[0]?.x).toBe(10);
    expect(stack.undo()).toBe(true);
    expect(store.current.points[0]?.visibility).toBe("unlabeled");
    expect(stack.undo()).toBe(false);
    stack.redo();
    stack.redo();
    expect(store.current.points[1]?.x).toBe(20);
    expect(stack.canRedo).toBe(false);
  });

  it("a new change after undo invalidates redo", () => {
    const { stack, place } = setup();
    place(0, 10);
    place(1, 20);
    stack.undo();
    expect(stack.canRedo).toBe(true);
    place(2, 30);
    expect(stack.canRedo).toBe(false);
    expect(stack.redo()).toBe(false);
  });

  it("does not record server changes, and a server reset clears history", () => {
    const { store, stack, place } = setup();
    store.apply({ points: new Map([[3, visible("tail", 1, 1)]]) }, "server");
    expect(stack.canUndo).toBe(false);
    place(0, 10);
    expect(stack.canUndo).toBe(true);
    store.replace({ points: emptyPoints(schema), done: false }, "server");
    expect(stack.canUndo).toBe(false);
  });

  it("undo itself is not recorded as a new command, but reaches subscribers as a user change", () => {
    const { store, stack, place } = setup();
    const origins: string[] = [];
    store.subscribe((_s, c) => origins.push(c.origin));
    place(0, 10);
    stack.undo();
    expect(origins).toEqual(["user", "user"]);
    expect(stack.canUndo).toBe(false);
    expect(stack.canRedo).toBe(true);
  });

  it("undoes the done flag", () => {
    const { store, stack } = setup();
    store.apply({ done: true }, "user", "mark done");
    expect(stack.undoLabel).toBe("mark done");
    stack.undo();
    expect(store.current.done).toBe(false);
  });
});
