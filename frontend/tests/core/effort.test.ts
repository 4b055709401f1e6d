import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, ConflictError } from "../../src/core/api";
import { classify, EffortCounter } from "../../src/core/effort";
import {
  acceptAllAbove,
  acceptPrediction,
  emptyPoints,
  movePoint,
  placePoint,
  setVisibility,
} from "../../src/core/keypoints";
import { createSession } from "../../src/core/session";
import type { Patch } from "../../src/core/store";
import type {
  AnnotationRead,
  AnnotationWrite,
  EffortWrite,
  Point,
  PredictionRead,
} from "../../src/core/types";
import { annotationRead, schema, visible } from "../fixtures";

const IMAGE = { width: 100, height: 100 };
// The model predicts three of the four keypoints (not the tail).
const PREDICTION: PredictionRead = {
  image_id: 1,
  model_version_id: 3,
  created_at: "2026-12-01T00:00:00Z",
  keypoints: [
    { name: "eye_left", x: 10, y: 10, confidence: 0.9, uncertainty: null, doubt: null },
    { name: "eye_right", x: 20, y: 10, confidence: 0.9, uncertainty: null, doubt: null },
    { name: "beak", x: 15, y: 20, confidence: 0.8, uncertainty: null, doubt: null },
  ],
};

class Server {
  stored: AnnotationRead = annotationRead(0, emptyPoints(schema));
  calls: AnnotationWrite[] = [];
  failNext: Error | null = null;
  async putAnnotation(_id: number, body: AnnotationWrite): Promise<AnnotationRead> {
    this.calls.push(body);
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    this.stored = annotationRead(body.version + 1, body.keypoints, body.done);
    return this.stored;
  }
  get efforts(): EffortWrite[] {
    return this.calls.map((c) => c.effort!);
  }
}

const ZERO = {
  placed: 0,
  moved: 0,
  accepted: 0,
  accepted_revoked: 0,
  occluded: 0,
  unlabeled: 0,
  predicted: 0,
};

function open(
  prediction: PredictionRead | null = PREDICTION,
  server = new Server(),
  points: Point[] = [],
) {
  const session = createSession(server, schema, annotationRead(server.stored.version, points), {
    delayMs: 100,
    prediction,
  });
  const edit = (patch: Patch | null) => session.store.apply(patch!, "user");
  const save = () => session.saver.flush();
  return { session, server, edit, save, state: () => session.store.current };
}

describe("effort counted per save", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("counts points placed by hand where the model predicted nothing", async () => {
    const { edit, save, state, server } = open(null);
    edit(placePoint(state(), 0, { x: 1, y: 1 }, IMAGE));
    edit(placePoint(state(), 1, { x: 2, y: 2 }, IMAGE));
    await save();
    expect(server.efforts[0]).toMatchObject({
      ...ZERO,
      placed: 2,
      clicks: 2,
      model_version_id: null,
    });
  });

  it("counts accept-all as accepted untouched, one click, all predicted", async () => {
    const { edit, save, state, server } = open();
    edit(acceptAllAbove(state(), PREDICTION, 0.5, IMAGE));
    await save();
    expect(server.efforts[0]).toMatchObject({
      ...ZERO,
      accepted: 3,
      predicted: 3,
      clicks: 1,
      model_version_id: 3,
    });
  });

  it("counts a dragged prediction as moved, and the tail, never predicted, as placed", async () => {
    const { edit, save, state, server } = open();
    edit(acceptPrediction(state(), 0, PREDICTION, IMAGE));
    edit(placePoint(state(), 1, { x: 25, y: 12 }, IMAGE)); // the prediction dragged to a better spot
    edit(placePoint(state(), 3, { x: 50, y: 50 }, IMAGE));
    await save();
    expect(server.efforts[0]).toMatchObject({
      ...ZERO,
      accepted: 1,
      moved: 1,
      placed: 1,
      predicted: 2,
      clicks: 3,
    });
  });

  it("does not count a keypoint again at a later save unless its outcome changes", async () => {
    const { edit, save, state, server } = open(null);
    edit(placePoint(state(), 0, { x: 1, y: 1 }, IMAGE));
    await save();
    edit(movePoint(state(), 0, { x: 3, y: 3 }, IMAGE)); // an adjustment of the same placement
    await save();
    expect(server.efforts[0]).toMatchObject({ placed: 1, clicks: 1 });
    expect(server.efforts[1]).toMatchObject({ ...ZERO, clicks: 1 });
  });

  it("counts a move undone before the save as no move, but its clicks as work", async () => {
    const { session, edit, save, state, server } = open();
    edit(acceptPrediction(state(), 0, PREDICTION, IMAGE));
    edit(movePoint(state(), 0, { x: 40, y: 40 }, IMAGE));
    session.undo.undo();
    await save();
    expect(server.efforts[0]).toMatchObject({ ...ZERO, accepted: 1, predicted: 1, clicks: 3 });
  });

  it("revokes an acceptance moved at a later save, and restores it when the move is undone", async () => {
    const { session, edit, save, state, server } = open();
    edit(acceptPrediction(state(), 0, PREDICTION, IMAGE));
    await save();
    edit(movePoint(state(), 0, { x: 40, y: 40 }, IMAGE));
    await save();
    session.undo.undo();
    await save();
    expect(
      server.efforts.map((e) => [e.accepted, e.accepted_revoked, e.moved, e.predicted]),
    ).toEqual([
      [1, 0, 0, 1],
      [0, 1, 1, 0],
      [1, 0, 0, 0],
    ]);
  });

  it("counts occluded and cleared points", async () => {
    const server = new Server();
    server.stored = annotationRead(4, [visible("eye_left", 5, 5), visible("beak", 6, 6)]);
    const { edit, save, state } = open(null, server, server.stored.keypoints);
    edit(setVisibility(state(), 0, "occluded"));
    edit(setVisibility(state(), 2, "unlabeled"));
    edit(placePoint(state(), 3, { x: 9, y: 9 }, IMAGE, "occluded"));
    await save();
    expect(server.efforts[0]).toMatchObject({ ...ZERO, occluded: 2, unlabeled: 1, clicks: 3 });
    expect(server.calls[0]?.version).toBe(4);
  });

  it("counts active seconds per save, leaving out a pause over 30 s", async () => {
    const { session, edit, save, state, server } = open(null);
    vi.advanceTimersByTime(8_000);
    edit(placePoint(state(), 0, { x: 1, y: 1 }, IMAGE));
    await save();
    vi.advanceTimersByTime(60_000); // a break
    session.effort.time.input();
    vi.advanceTimersByTime(4_000);
    edit(placePoint(state(), 1, { x: 2, y: 2 }, IMAGE));
    await save();
    expect(server.efforts.map((e) => e.active_seconds)).toEqual([8, 4]);
  });

  it("sends a failed save's counts with the next save, once", async () => {
    const { edit, save, state, server } = open(null);
    server.failNext = new ApiError(503, "overloaded", "overloaded", {});
    edit(placePoint(state(), 0, { x: 1, y: 1 }, IMAGE));
    await save();
    edit(placePoint(state(), 1, { x: 2, y: 2 }, IMAGE));
    await save();
    expect(server.efforts.map((e) => [e.placed, e.clicks])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    await save(); // nothing pending: no save at all
    expect(server.calls).toHaveLength(2);
  });

  it("counts from the server's copy after a conflict resolved by taking theirs", async () => {
    const server = new Server();
    const { session, edit, save, state } = open(null, server);
    const theirs = annotationRead(1, [visible("eye_left", 7, 7), visible("tail", 8, 8)]);
    server.failNext = new ConflictError("stale", {}, theirs);
    edit(placePoint(state(), 1, { x: 1, y: 1 }, IMAGE));
    await save();
    session.takeTheirs();
    edit(placePoint(state(), 2, { x: 3, y: 3 }, IMAGE));
    await save();
    // The other annotator's two points are not this one's work; the lost click still was.
    expect(server.efforts[1]).toMatchObject({ ...ZERO, placed: 1, clicks: 2 });
    expect(server.calls[1]?.version).toBe(1);
  });

  it("does not count a done toggle as a click", async () => {
    const { edit, save, server } = open(null);
    edit({ done: true });
    await save();
    expect(server.efforts[0]).toMatchObject({ ...ZERO, clicks: 0 });
  });
});

describe("classify", () => {
  const unlabeled: Point = {
    name: "beak",
    x: null,
    y: null,
    visibility: "unlabeled",
    source: "human",
  };
  const human = visible("beak", 5, 5);
  const accepted: Point = { ...human, source: "prediction" };

  it("tells placement, correction and acceptance apart by what was on offer", () => {
    expect(classify(unlabeled, human, false)).toBe("placed");
    expect(classify(unlabeled, human, true)).toBe("moved");
    expect(classify(unlabeled, accepted, true)).toBe("accepted");
    expect(classify(human, { ...human, x: 6 }, false)).toBe("moved");
    expect(classify(human, { ...human, visibility: "occluded" }, false)).toBe("occluded");
    expect(classify({ ...human, visibility: "occluded" }, human, false)).toBe("edited");
    expect(classify(human, unlabeled, false)).toBe("unlabeled");
    expect(classify(unlabeled, unlabeled, true)).toBe("none");
  });

  it("caps a save's active seconds at an hour", () => {
    vi.useFakeTimers();
    const counter = new EffortCounter(emptyPoints(schema), null);
    for (let i = 0; i < 200; i++) {
      vi.advanceTimersByTime(25_000);
      counter.time.input();
    }
    expect(counter.draft(emptyPoints(schema)).effort.active_seconds).toBe(3600);
    vi.useRealTimers();
  });
});
