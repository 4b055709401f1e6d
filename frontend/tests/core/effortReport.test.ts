import { describe, expect, it } from "vitest";
import type { EffortRow } from "../../src/core/adminTypes";
import { effortLabel, effortSeries, percentText, secondsText } from "../../src/core/effortReport";

function row(over: Partial<EffortRow>): EffortRow {
  return {
    model_version_id: null,
    model_version_number: null,
    user_id: null,
    email: null,
    day: null,
    saves: 1,
    images: 1,
    placed: 0,
    moved: 0,
    accepted: 0,
    accepted_revoked: 0,
    occluded: 0,
    unlabeled: 0,
    predicted: 0,
    clicks: 0,
    active_seconds: 0,
    accepted_untouched_fraction: null,
    clicks_per_image: 0,
    seconds_per_image_mean: 0,
    seconds_per_image_median: 0,
    ...over,
  };
}

describe("effort report shaping", () => {
  it("labels rows by what they were grouped on", () => {
    expect(effortLabel(row({}))).toBe("no model");
    expect(effortLabel(row({ model_version_id: 9, model_version_number: 2 }))).toBe("v2");
    expect(effortLabel(row({ user_id: 3, email: "ann@example.com" }))).toBe("ann@example.com");
    expect(effortLabel(row({ user_id: 3 }))).toBe("(deleted user)");
    expect(effortLabel(row({ day: "2026-12-01" }))).toBe("2026-12-01");
  });

  it("gives the chart accepted percent, clicks and median seconds per image", () => {
    const series = effortSeries([
      row({ clicks_per_image: 4, seconds_per_image_median: 20.04, seconds_per_image_mean: 90 }),
      row({
        model_version_number: 1,
        accepted_untouched_fraction: 2 / 3,
        clicks_per_image: 1.25,
        seconds_per_image_median: 6,
      }),
    ]);
    expect(series.labels).toEqual(["no model", "v1"]);
    expect(series.acceptedPercent).toEqual([null, 66.7]);
    expect(series.clicksPerImage).toEqual([4, 1.3]);
    expect(series.secondsPerImage).toEqual([20, 6]);
  });

  it("words percentages and durations", () => {
    expect(percentText(null)).toBe("—");
    expect(percentText(0.666)).toBe("67%");
    expect(secondsText(42.25)).toBe("42.3 s");
    expect(secondsText(210)).toBe("3.5 min");
  });
});
