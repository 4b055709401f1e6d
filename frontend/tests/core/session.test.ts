import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConflictError } from "../../src/core/api";
import { placePoint } from "../../src/core/keypoints";
import { createSession } from "../../src/core/session";
import type { AnnotationRead, AnnotationWrite } from "../../src/core/types";
import { annotationRead, schema, visible } from "../fixtures";

describe("annotation session", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("aligns server points to the schema and saves user changes, not loads", async () => {
    const calls: AnnotationWrite[] = [];
    const client = {
      putAnnotation: async (_id: number, body: AnnotationWrite): Promise<AnnotationRead> => {
        calls.push(body);
        return annotationRead(body.version + 1, body.keypoints, body.done);
      },
    };
    const session = createSession(client, schema, annotationRead(2, [visible("beak", 5, 5)]), {
      delayMs: 100,
    });
    expect(session.store.current.points.map((p) => p.name)).toEqual([
      "eye_left",
      "eye_right",
      "beak",
      "tail",
    ]);
    expect(session.store.current.points[2]?.x).toBe(5);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(0);

    session.store.apply(
      placePoint(session.store.current, 0, { x: 1, y: 2 }, { width: 10, height: 10 })!,
      "user",
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.version).toBe(2);
    expect(calls[0]?.keypoints).toHaveLength(4);
    session.undo.undo();
    await vi.advanceTimersByTimeAsync(100);
    expect(calls[1]?.version).toBe(3);
    expect(calls[1]?.keypoints[0]?.visibility).toBe("unlabeled");
  });

  it("take theirs loads the server copy as a server change and clears undo", async () => {
    const theirs = annotationRead(5, [visible("tail", 3, 3)], true);
    const client = {
      putAnnotation: async (): Promise<AnnotationRead> => {
        throw new ConflictError("stale", {}, theirs);
      },
    };
    const session = createSession(client, schema, annotationRead(4, []), { delayMs: 100 });
    session.store.apply(
      placePoint(session.store.current, 0, { x: 1, y: 2 }, { width: 10, height: 10 })!,
      "user",
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(session.saver.status).toBe("conflict");
    session.takeTheirs();
    expect(session.store.current.points[3]?.x).toBe(3);
    expect(session.store.current.points[0]?.visibility).toBe("unlabeled");
    expect(session.store.current.done).toBe(true);
    expect(session.undo.canUndo).toBe(false);
    expect(session.saver.status).toBe("saved");
    expect(session.saver.version).toBe(5);
  });
});
