import { describe, expect, it } from "vitest";
import { keypointHint, QueueCache, queueReason, reasonText } from "../../src/core/queueReason";
import type { ImageRead, QueueItem, QueueRead } from "../../src/core/types";

function item(
  id: number,
  score: number | null,
  unsure: [string, number, string | null][] = [],
): QueueItem {
  const image = { id, project_id: 1, original_name: `${id}.png` } as ImageRead;
  return {
    image,
    rank: 0,
    score,
    uncertain_keypoints: unsure.map(([name, uncertainty, reason]) => ({
      name,
      uncertainty,
      confidence: 0.4,
      reason,
    })),
  };
}

function queue(strategy: QueueRead["strategy"], items: QueueItem[]): QueueRead {
  return {
    strategy,
    requested_strategy: strategy,
    fallback_reason: null,
    model_version_id: 3,
    remaining: 9,
    items,
  };
}

const ranked = queue("uncertainty", [
  item(4, 0.82, [
    ["tail", 0.91, "equivariance"],
    ["beak", 0.7, null],
  ]),
  item(5, null),
]);

describe("queueReason", () => {
  it("gives the image's score and its uncertain keypoints, most uncertain first", () => {
    const reason = queueReason(ranked, 4);
    expect(reason?.score).toBe(0.82);
    expect(reason?.keypoints.map((k) => k.name)).toEqual(["tail", "beak"]);
    expect(reasonText(reason!)).toBe("the model is unsure of tail, beak (uncertainty 0.82)");
  });

  it("has no reason for unranked images, images off the page, or other strategies", () => {
    expect(queueReason(ranked, 5)).toBeNull(); // uploaded after the ranking: no score
    expect(queueReason(ranked, 6)).toBeNull();
    expect(queueReason(null, 4)).toBeNull();
    expect(queueReason(queue("random", [item(4, 0.82)]), 4)).toBeNull();
    expect(queueReason(queue("sequential", [item(4, 0.82)]), 4)).toBeNull();
  });

  it("says 'this image' when every uncertain keypoint is labeled", () => {
    const reason = queueReason(queue("uncertainty", [item(4, 0.5)]), 4);
    expect(reasonText(reason!)).toBe("the model is unsure of this image (uncertainty 0.50)");
  });

  it("explains a keypoint's uncertainty and its strongest signal", () => {
    const [tail, beak] = queueReason(ranked, 4)!.keypoints;
    expect(keypointHint(tail!)).toBe("Model uncertainty 0.91: it moves when the image is warped");
    expect(keypointHint(beak!)).toBe("Model uncertainty 0.70");
    expect(
      keypointHint({ name: "x", uncertainty: 0.3, confidence: null, reason: "new_signal" }),
    ).toBe("Model uncertainty 0.30");
  });
});

describe("QueueCache", () => {
  function setup() {
    const fetched: number[] = [];
    let now = 0;
    const cache = new QueueCache(
      async (projectId) => {
        fetched.push(projectId);
        return ranked;
      },
      60_000,
      () => now,
    );
    return { cache, fetched, advance: (ms: number) => (now += ms) };
  }

  it("answers the image 'Next' chose from the page it chose from, without a request", async () => {
    const { cache, fetched } = setup();
    await cache.refresh(1);
    expect((await cache.reasonFor(1, 4))?.score).toBe(0.82);
    expect(await cache.reasonFor(1, 6)).toBeNull(); // not on the recent page: not queued near the top
    expect(fetched).toEqual([1]);
  });

  it("fetches a page for an image opened directly, once, and again when it is old or another project's", async () => {
    const { cache, fetched, advance } = setup();
    await cache.reasonFor(1, 4);
    await cache.reasonFor(1, 5);
    expect(fetched).toEqual([1]);
    advance(60_001);
    await cache.reasonFor(1, 4);
    await cache.reasonFor(2, 4);
    expect(fetched).toEqual([1, 1, 2]);
  });
});
