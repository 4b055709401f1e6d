import { describe, expect, it } from "vitest";
import type { SuspectRead } from "../../src/core/reviewApi";
import {
  cropAround,
  flipPartner,
  reasonTitle,
  ReviewQueue,
  reviewKeyAction,
} from "../../src/core/reviewQueue";
import type { KeypointSchema } from "../../src/core/types";

function suspect(id: number, imageId: number, keypoint: string, version = 1): SuspectRead {
  return {
    id,
    image_id: imageId,
    image_name: `${imageId}.png`,
    keypoint,
    score: 1 - id / 10,
    reasons: [{ kind: "far_from_prediction", detail: "far" }],
    label: { x: 10, y: 10 },
    predicted: { x: 20, y: 20 },
    model_version_id: 1,
    annotation_version: version,
    created_at: "2026-12-01T00:00:00Z",
  };
}

const page = (...items: SuspectRead[]) => ({ total: items.length, items });
const ids = (q: ReviewQueue) => q.current?.suspect.id;

describe("ReviewQueue", () => {
  it("starts at the worst suspect and walks forward and back", () => {
    const q = new ReviewQueue(
      page(suspect(1, 10, "beak"), suspect(2, 11, "tail"), suspect(3, 12, "beak")),
    );
    expect(ids(q)).toBe(1);
    expect(q.next()).toBe(true);
    expect(q.next()).toBe(true);
    expect(ids(q)).toBe(3);
    expect(q.next()).toBe(false);
    expect(q.previous()).toBe(true);
    expect(ids(q)).toBe(2);
    q.previous();
    expect(q.previous()).toBe(false);
  });

  it("moves to the next undecided suspect after a decision", () => {
    const q = new ReviewQueue(
      page(suspect(1, 10, "beak"), suspect(2, 11, "tail"), suspect(3, 12, "beak")),
    );
    q.next();
    q.decide("accept", 2);
    expect(ids(q)).toBe(3);
    q.decide("swap", 2);
    expect(ids(q)).toBe(1); // wraps to the undecided one left behind
    q.decide("fix", 2);
    expect(q.undecided).toBe(0);
    expect(q.decided).toBe(3);
    expect(ids(q)).toBe(1); // stays when all are decided
  });

  it("gives the image's other suspects the version the decision saved", () => {
    const q = new ReviewQueue(
      page(suspect(1, 10, "eye_left", 4), suspect(2, 10, "tail", 4), suspect(3, 11, "beak", 7)),
    );
    q.decide("swap", 5);
    expect(ids(q)).toBe(2);
    expect(q.current?.version).toBe(5);
    q.next();
    expect(q.current?.version).toBe(7);
  });

  it("drops an image's undecided suspects after someone else saved it", () => {
    const q = new ReviewQueue(
      page(
        suspect(1, 10, "beak"),
        suspect(2, 11, "beak"),
        suspect(3, 11, "tail"),
        suspect(4, 12, "beak"),
      ),
    );
    q.decide("accept", 2);
    expect(ids(q)).toBe(2);
    q.dropImage(11);
    expect(q.length).toBe(2);
    expect(ids(q)).toBe(4);
  });

  it("adds only suspects it does not hold when a page is merged again", () => {
    const q = new ReviewQueue(page(suspect(1, 10, "beak")));
    q.decide("accept", 2);
    q.merge(page(suspect(1, 10, "beak"), suspect(5, 13, "tail")));
    expect(q.length).toBe(2);
    expect(ids(q)).toBe(5);
  });
});

describe("review keys", () => {
  const idle = { canSwap: true, fixing: false };
  it("maps A, S, F, J, K and the arrows", () => {
    expect(reviewKeyAction("a", idle)).toBe("accept");
    expect(reviewKeyAction("s", idle)).toBe("swap");
    expect(reviewKeyAction("f", idle)).toBe("fix");
    expect(reviewKeyAction("j", idle)).toBe("next");
    expect(reviewKeyAction("ArrowRight", idle)).toBe("next");
    expect(reviewKeyAction("K", idle)).toBe("previous");
    expect(reviewKeyAction("ArrowLeft", idle)).toBe("previous");
    expect(reviewKeyAction("Enter", idle)).toBeNull();
  });
  it("offers swap only where the keypoint has a flip pair", () => {
    expect(reviewKeyAction("s", { canSwap: false, fixing: false })).toBeNull();
  });
  it("saves or cancels a fix with Enter and Escape, and ignores accept meanwhile", () => {
    const fixing = { canSwap: true, fixing: true };
    expect(reviewKeyAction("Enter", fixing)).toBe("save-fix");
    expect(reviewKeyAction("Escape", fixing)).toBe("cancel-fix");
    expect(reviewKeyAction("a", fixing)).toBeNull();
    expect(reviewKeyAction("s", fixing)).toBeNull();
  });
});

describe("flipPartner", () => {
  const schema: KeypointSchema = {
    keypoints: [],
    skeleton: [],
    flip_pairs: [["eye_left", "eye_right"]],
  };
  it("finds the partner either way round and null without one", () => {
    expect(flipPartner(schema, "eye_left")).toBe("eye_right");
    expect(flipPartner(schema, "eye_right")).toBe("eye_left");
    expect(flipPartner(schema, "beak")).toBeNull();
  });
});

describe("cropAround", () => {
  it("is a square around the points with a margin, inside the image", () => {
    const crop = cropAround(
      [
        { x: 100, y: 100 },
        { x: 200, y: 150 },
      ],
      400,
      300,
    );
    expect(crop.w).toBe(crop.h);
    expect(crop.w).toBeCloseTo(160);
    expect(crop.x).toBeLessThanOrEqual(100);
    expect(crop.x + crop.w).toBeGreaterThanOrEqual(200);
    expect(crop.y).toBeLessThanOrEqual(100);
    expect(crop.y + crop.h).toBeGreaterThanOrEqual(150);
  });
  it("keeps a minimum side and stays inside near a corner", () => {
    const crop = cropAround([{ x: 2, y: 3 }], 400, 300, 96);
    expect(crop).toEqual({ x: 0, y: 0, w: 96, h: 96 });
  });
  it("never exceeds the image", () => {
    const crop = cropAround(
      [
        { x: 0, y: 0 },
        { x: 60, y: 40 },
      ],
      64,
      48,
    );
    expect(crop.w).toBe(48);
    expect(crop.x + crop.w).toBeLessThanOrEqual(64);
  });
  it("shows the whole image when there is no point", () => {
    expect(cropAround([], 64, 48)).toEqual({ x: 0, y: 0, w: 64, h: 48 });
  });
});

describe("reasonTitle", () => {
  it("words every kind the scorer writes and falls back for new ones", () => {
    expect(reasonTitle("left_right_swap")).toBe("Left and right may be swapped");
    expect(reasonTitle("new_signal")).toBe("new signal");
  });
});
