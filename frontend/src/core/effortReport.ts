/**
 * Pure shaping of GET /projects/{id}/effort for the admin page's "Labeling effort" panel: a
 * row's label ("no model", "v2", a day, an annotator) and the three figures that say whether
 * the model in the loop saves work, as chart series and table text. No DOM: unit-tested.
 */
import type { EffortRow } from "./adminTypes";

export function effortLabel(row: EffortRow): string {
  if (row.day !== null) return row.day;
  if (row.user_id !== null || row.email !== null) return row.email ?? "(deleted user)";
  return row.model_version_number === null ? "no model" : `v${row.model_version_number}`;
}

export interface EffortSeries {
  labels: string[];
  /** Accepted untouched, percent of the predicted keypoints; null where nothing was predicted. */
  acceptedPercent: (number | null)[];
  clicksPerImage: number[];
  /** The median: one image left open over lunch should not move the bar. */
  secondsPerImage: number[];
}

export function effortSeries(rows: readonly EffortRow[]): EffortSeries {
  return {
    labels: rows.map(effortLabel),
    acceptedPercent: rows.map((r) =>
      r.accepted_untouched_fraction === null
        ? null
        : Math.round(1000 * r.accepted_untouched_fraction) / 10,
    ),
    clicksPerImage: rows.map((r) => round1(r.clicks_per_image)),
    secondsPerImage: rows.map((r) => round1(r.seconds_per_image_median)),
  };
}

export function percentText(fraction: number | null): string {
  return fraction === null ? "—" : `${Math.round(100 * fraction)}%`;
}

/** "42 s", "3.5 min": seconds per image as a person reads them. */
export function secondsText(seconds: number): string {
  return seconds < 90 ? `${round1(seconds)} s` : `${round1(seconds / 60)} min`;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
