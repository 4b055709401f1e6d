/** Shared bits of the admin page: the admin API client, polling, dates, keypoint colours. */
import { AdminApi } from "../../core/adminApi";
import { colorsByName } from "../../core/colors";
import { parseServerTime } from "../../core/time";
import type { ProjectRead } from "../../core/types";
import { api } from "../api";

export { formatTime } from "../../core/time";
export { usePoll } from "../usePoll";

export const admin = new AdminApi(api);

export function durationText(start: string | null, end: string | null): string {
  if (!start) return "—";
  const seconds = Math.max(
    0,
    ((end ? parseServerTime(end) : Date.now()) - parseServerTime(start)) / 1000,
  );
  return seconds < 90 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
}

const FALLBACK = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#d97706",
  "#7c3aed",
  "#0891b2",
  "#db2777",
  "#65a30d",
];

/** Keypoint colours as the annotator draws them: the schema's, never two alike (core/colors). */
export function keypointColors(project: ProjectRead): Map<string, string> {
  return colorsByName(project.keypoint_schema.keypoints);
}

export function seriesColor(i: number): string {
  return FALLBACK[i % FALLBACK.length]!;
}
