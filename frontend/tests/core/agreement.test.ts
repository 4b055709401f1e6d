import { describe, expect, it } from "vitest";
import {
  clearPoint,
  eligibleAnnotators,
  formatNormalized,
  formatPx,
  placePoint,
  startingPoints,
  type SecondLabelRead,
} from "../../src/core/agreement";
import type { UserRead } from "../../src/core/types";

const names = ["eye_left", "eye_right", "beak"];
const task = (keypoints: SecondLabelRead["keypoints"]): SecondLabelRead => ({
  id: 1,
  image_id: 2,
  image_name: "a.png",
  width: 100,
  height: 80,
  keypoints,
  labeled_at: null,
});

describe("second labels", () => {
  it("start unlabeled, or from the annotator's own saved points", () => {
    expect(startingPoints(names, task(null)).map((p) => p.visibility)).toEqual([
      "unlabeled",
      "unlabeled",
      "unlabeled",
    ]);
    const own = startingPoints(
      names,
      task([{ name: "beak", x: 5, y: 6, visibility: "visible", source: "human" }]),
    );
    expect(own[2]).toMatchObject({ x: 5, y: 6 });
    expect(own[0]?.visibility).toBe("unlabeled");
  });

  it("place a point and move on to the next unlabeled one, wrapping", () => {
    const start = startingPoints(names, task(null));
    const first = placePoint(start, 0, 10, 20);
    expect(first.points[0]).toMatchObject({ x: 10, y: 20, visibility: "visible" });
    expect(first.next).toBe(1);
    const last = placePoint(placePoint(first.points, 2, 1, 1).points, 1, 3, 3);
    expect(last.next).toBe(1); // all placed: stays
    const skipped = placePoint(first.points, 2, 7, 7);
    expect(skipped.next).toBe(1); // wraps past the end to the one left
  });

  it("clear a point to unlabeled", () => {
    const placed = placePoint(startingPoints(names, task(null)), 1, 4, 4).points;
    expect(clearPoint(placed, 1)[1]).toMatchObject({ x: null, y: null, visibility: "unlabeled" });
  });
});

describe("admin report helpers", () => {
  it("offers only active users who may label", () => {
    const user = (id: number, role: UserRead["role"], is_active = true) => ({
      id,
      email: `${id}@x`,
      role,
      is_active,
      created_at: "",
    });
    const ids = eligibleAnnotators([
      user(1, "viewer"),
      user(2, "annotator"),
      user(3, "reviewer", false),
      user(4, "admin"),
    ]).map((u) => u.id);
    expect(ids).toEqual([2, 4]);
  });
  it("formats distances and shows a dash for none", () => {
    expect(formatPx(3.25)).toBe("3.3 px");
    expect(formatPx(null)).toBe("—");
    expect(formatNormalized(0.08123)).toBe("0.081");
  });
});
