import { describe, expect, it } from "vitest";
import {
  acceptAllAbove,
  acceptPrediction,
  emptyPoints,
  movePoint,
  nextInStack,
  nextUnlabeled,
  placePoint,
  setVisibility,
} from "../../src/core/keypoints";
import { AnnotationStore } from "../../src/core/store";
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
    { name: "beak", x: 15, y: 20, confidence: 0.75, uncertainty: null, doubt: null },
  ],
};

function state() {
  return new AnnotationStore({ points: emptyPoints(schema), done: false });
}

describe("keypoint operations", () => {
  it("advances to the next unlabeled keypoint, wrapping", () => {
    const pts = [visible("eye_left", 1, 1), ...emptyPoints(schema).slice(1)];
    pts[2] = visible("beak", 1, 1);
    expect(nextUnlabeled(pts, 0)).toBe(1);
    expect(nextUnlabeled(pts, 1)).toBe(3);
    expect(nextUnlabeled(pts, 3)).toBe(1);
    expect(
      nextUnlabeled(
        schema.keypoints.map((k) => visible(k.name, 0, 0)),
        0,
      ),
    ).toBeNull();
  });

  it("places inside the image even when clicked at the edge", () => {
    const s = state();
    s.apply(placePoint(s.current, 0, { x: 150, y: -3 }, image)!, "user");
    expect(s.current.points[0]).toMatchObject({
      x: 99.99,
      y: 0,
      visibility: "visible",
      source: "human",
    });
  });

  it("accepting a prediction marks it source prediction; moving it makes it human", () => {
    const s = state();
    s.apply(acceptPrediction(s.current, 0, prediction, image)!, "user");
    expect(s.current.points[0]).toMatchObject({
      x: 10,
      y: 10,
      source: "prediction",
      visibility: "visible",
    });
    s.apply(movePoint(s.current, 0, { x: 12, y: 11 }, image)!, "user");
    expect(s.current.points[0]?.source).toBe("human");
  });

  it("accepts all predictions above the threshold, leaving labeled points alone", () => {
    const s = state();
    s.apply(placePoint(s.current, 2, { x: 50, y: 50 }, image)!, "user");
    const patch = acceptAllAbove(s.current, prediction, 0.5, image)!;
    expect([...patch.points!.keys()]).toEqual([0]);
  });

  it("cannot mark an unplaced point visible; clearing removes coordinates", () => {
    const s = state();
    expect(setVisibility(s.current, 1, "occluded")).toBeNull();
    s.apply(placePoint(s.current, 1, { x: 5, y: 5 }, image)!, "user");
    s.apply(setVisibility(s.current, 1, "occluded")!, "user");
    expect(s.current.points[1]?.visibility).toBe("occluded");
    s.apply(setVisibility(s.current, 1, "unlabeled")!, "user");
    expect(s.current.points[1]).toMatchObject({ x: null, y: null, visibility: "unlabeled" });
  });
});

describe("stacked markers", () => {
  it("walks through the markers under the cursor, starting from the topmost", () => {
    expect(nextInStack([4, 2, 7], 0)).toBe(4); // the selected one is elsewhere: the topmost
    expect(nextInStack([4, 2, 7], 4)).toBe(2);
    expect(nextInStack([4, 2, 7], 7)).toBe(4);
    expect(nextInStack([3], 3)).toBe(3);
    expect(nextInStack([], 3)).toBeNull();
  });
});
