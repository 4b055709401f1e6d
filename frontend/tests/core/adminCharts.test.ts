import { describe, expect, it } from "vitest";
import {
  embeddingGroups,
  fitImage,
  formatPck,
  meanErrorPx,
  pckLabel,
  labelEfficiencyCurves,
  lossLabel,
  trainingOptions,
  trainingSeries,
} from "../../src/core/adminCharts";
import type { LabelEfficiencyPoint } from "../../src/core/adminTypes";

describe("trainingSeries", () => {
  it("turns training entries into aligned loss series with total first and skips phase entries", () => {
    const s = trainingSeries([
      { phase: "training", total: 10, elapsed_s: 0 },
      { step: 1, total: 10, losses: { heatmap: 2, total: 3 }, elapsed_s: 1 },
      {
        step: 2,
        total: 10,
        losses: { heatmap: 1.5, total: 2.5, consistency: 0.4 },
        val_pck: 0.25,
        elapsed_s: 2,
      },
      { predicted: 4, to_predict: 8, elapsed_s: 3 },
    ]);
    expect(s.steps).toEqual([1, 2]);
    expect(s.losses.map((l) => l.name)).toEqual(["total", "heatmap", "consistency"]);
    expect(s.losses[2]?.values).toEqual([null, 0.4]);
    expect(s.pck).toEqual([{ step: 2, pck: 0.25 }]);
    expect(s.last).toEqual({ step: 2, total: 10 });
  });

  it("keeps the later entry of a step reported twice and orders by step", () => {
    const s = trainingSeries([
      { step: 5, total: 9, losses: { total: 1 } },
      { step: 3, total: 9, losses: { total: 4 } },
      { step: 5, total: 9, losses: { total: 0.5 } },
    ]);
    expect(s.steps).toEqual([3, 5]);
    expect(s.losses[0]?.values).toEqual([4, 0.5]);
  });

  it("treats a missing or empty history and non-finite values as no data", () => {
    expect(trainingSeries(undefined)).toEqual({ steps: [], losses: [], pck: [], last: null });
    const s = trainingSeries([{ step: 1, losses: { total: Number.NaN }, val_pck: null }]);
    expect(s.losses[0]?.values).toEqual([null]);
    expect(s.pck).toEqual([]);
    expect(s.last).toEqual({ step: 1, total: 1 });
  });
});

describe("labelEfficiencyCurves", () => {
  const point = (
    id: number,
    backbone: string,
    labeled: number,
    pck: number | null,
    unlabeled = 0,
  ): LabelEfficiencyPoint => ({
    model_version_id: id,
    created_at: "2026-01-01T00:00:00Z",
    backbone,
    labeled_count: labeled,
    unlabeled_count: unlabeled,
    pck,
    is_active: id === 2,
  });

  it("gives one curve per backbone and mode sorted by labeled count and drops versions without PCK", () => {
    const curves = labelEfficiencyCurves([
      point(1, "hrnet_w32", 20, 0.8),
      point(2, "efficientnet_lite0", 10, 0.5),
      point(3, "hrnet_w32", 5, 0.4),
      point(4, "hrnet_w32", 7, null),
      point(5, "hrnet_w32", 5, 0.6, 100),
    ]);
    expect(curves.map((c) => c.label)).toEqual([
      "efficientnet_lite0 · supervised",
      "hrnet_w32 · semi-supervised",
      "hrnet_w32 · supervised",
    ]);
    expect(curves[2]?.points.map((p) => [p.labeled, p.pck])).toEqual([
      [5, 0.4],
      [20, 0.8],
    ]);
    expect(curves[1]?.points.map((p) => p.versionId)).toEqual([5]);
    expect(curves[0]?.points[0]?.active).toBe(true);
  });
});

describe("embeddingGroups", () => {
  it("groups points by keypoint in schema order and drops empty keypoints", () => {
    const groups = embeddingGroups({
      evaluation_id: 1,
      method: "tsne",
      keypoint_names: ["head", "neck", "tail"],
      points: [
        { x: 0, y: 1, keypoint: "tail", image_id: 7, labeled: true },
        { x: 1, y: 0, keypoint: "head", image_id: 7, labeled: false },
      ],
    });
    expect(groups.map((g) => g.keypoint)).toEqual(["head", "tail"]);
    expect(groups[1]?.points).toEqual([{ x: 0, y: 1, imageId: 7, labeled: true }]);
  });
});

describe("fitImage", () => {
  it("fits by the limiting side and maps image pixels into the box", () => {
    const fit = fitImage(400, 200, 200, 200);
    expect(fit.scale).toBe(0.5);
    expect([fit.width, fit.height]).toEqual([200, 100]);
    expect(fit.imageToBox([100, 50])).toEqual([50, 25]);
  });
});

describe("trainingOptions", () => {
  it("leaves blank fields to the worker and parses numbers", () => {
    expect(
      trainingOptions({
        backbone: "",
        inputSize: "",
        maxSteps: " ",
        maxMinutes: "",
        batchSize: "",
        semiSupervised: true,
      }),
    ).toEqual({ semi_supervised: true });
    expect(
      trainingOptions({
        backbone: "efficientnet_lite0",
        inputSize: "64",
        maxSteps: "8",
        maxMinutes: "1.5",
        batchSize: "4",
        semiSupervised: false,
      }),
    ).toEqual({
      semi_supervised: false,
      backbone: "efficientnet_lite0",
      input_size: 64,
      max_steps: 8,
      batch_size: 4,
      max_minutes: 1.5,
    });
  });
});

describe("formatPck", () => {
  it("shows a percentage or a dash", () => {
    expect(formatPck(0.8766)).toBe("87.7%");
    expect(formatPck(null)).toBe("—");
    expect(formatPck(undefined)).toBe("—");
  });
});

describe("lossLabel", () => {
  it("names the paper's loss terms and passes unknown ones through", () => {
    expect(lossLabel("ti")).toBe("transformation invariance");
    expect(lossLabel("my_new_loss")).toBe("my_new_loss");
  });
});

describe("worst examples in pixels", () => {
  it("averages the pixel error over keypoints both labeled and predicted", () => {
    expect(
      meanErrorPx(
        [[0, 0], [10, 10], null],
        [
          [3, 4],
          [10, 10],
          [5, 5],
        ],
      ),
    ).toBe(2.5);
    expect(meanErrorPx([null], [[1, 1]])).toBeNull();
    expect(meanErrorPx(null, null)).toBeNull();
  });
});

describe("pckLabel", () => {
  it("names the length PCK was normalised by", () => {
    expect(pckLabel(0.1, "bbox")).toBe("PCK@0.1 (bbox)");
    expect(pckLabel(0.05, "roi")).toBe("PCK@0.05 (ROI)");
    expect(pckLabel(0.1, "extent")).toBe("PCK@0.1 (keypoint extent)");
  });
  it("falls back to the bare name for versions stored before the normaliser was", () => {
    expect(pckLabel(0.1, undefined)).toBe("PCK@0.1");
    expect(pckLabel(0.1, "something")).toBe("PCK@0.1");
  });
});
