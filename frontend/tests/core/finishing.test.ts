import { describe, expect, it } from "vitest";
import { finishPatch, unacceptedPredictions, withAutoDone } from "../../src/core/finishing";
import { emptyPoints } from "../../src/core/keypoints";
import type { AnnotationState } from "../../src/core/store";
import type { PredictionRead } from "../../src/core/types";
import { schema, visible } from "../fixtures";

const image = { width: 100, height: 80 };
const prediction: PredictionRead = {
  image_id: 1,
  model_version_id: 1,
  created_at: "2026-12-01T00:00:00Z",
  keypoints: [
    { name: "eye_left", x: 10, y: 10, confidence: 0.9, uncertainty: null, doubt: null },
    { name: "eye_right", x: 20, y: 10, confidence: 0.3, uncertainty: null, doubt: null },
    { name: "beak", x: 15, y: 20, confidence: 0.75, uncertainty: null, doubt: "border" },
    { name: "tail", x: 50, y: 60, confidence: 0.8, uncertainty: null, doubt: null },
  ],
};

function fresh(): AnnotationState {
  return { points: emptyPoints(schema), done: false };
}

describe("finishing an image", () => {
  it("names the confident predictions a done would leave out, not the doubtful or low ones", () => {
    const s = fresh();
    expect(unacceptedPredictions(s, prediction, 0.5).map((k) => k.name)).toEqual([
      "eye_left",
      "tail",
    ]);
    const placed = {
      ...s,
      points: s.points.map((p, i) => (i === 0 ? visible("eye_left", 1, 1) : p)),
    };
    expect(unacceptedPredictions(placed, prediction, 0.5).map((k) => k.name)).toEqual(["tail"]);
    expect(unacceptedPredictions(s, prediction, 0.95)).toEqual([]);
    expect(unacceptedPredictions(s, null, 0.5)).toEqual([]);
  });

  it("accepts the rest above the threshold and marks done in one patch", () => {
    const patch = finishPatch(fresh(), prediction, 0.5, image, true);
    expect(patch.done).toBe(true);
    expect([...(patch.points?.keys() ?? [])].sort()).toEqual([0, 3]); // not the border beak, not 0.3
    expect(patch.points?.get(0)?.source).toBe("prediction");
    expect(finishPatch(fresh(), prediction, 0.5, image, false)).toEqual({ done: true });
    expect(finishPatch(fresh(), null, 0.5, image, true)).toEqual({ done: true });
  });

  it("marks done automatically with the edit that places the last keypoint, when the project asks", () => {
    const s = fresh();
    const all = s.points.map((p) => visible(p.name, 5, 5));
    const almost = { done: false, points: all.map((p, i) => (i === 3 ? s.points[3]! : p)) };
    const last = { points: new Map([[3, visible("tail", 7, 7)]]) };
    expect(withAutoDone(almost, last, true)).toEqual({ ...last, done: true });
    expect(withAutoDone(almost, last, false)).toBe(last);
    // Not when something is still missing, not on moves of a complete image unmarked by hand.
    expect(withAutoDone(s, last, true)).toBe(last);
    const complete = { done: false, points: all };
    const move = { points: new Map([[0, visible("eye_left", 6, 6)]]) };
    expect(withAutoDone(complete, move, true)).toBe(move);
    const unmark = { done: false };
    expect(withAutoDone(almost, unmark, true)).toBe(unmark);
  });
});
