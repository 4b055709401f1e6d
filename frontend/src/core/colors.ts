/**
 * One colour per keypoint, never two alike: a schema's own colours are kept, and a colour that
 * repeats an earlier keypoint's (a palette that wrapped round: keypoints 1 and 17 both red) is
 * replaced by a generated one. The annotator, its panel and the admin charts all draw with these.
 */
import type { KeypointDef } from "./types";

const GOLDEN_ANGLE = 137.508;

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(255 * c)
      .toString(16)
      .padStart(2, "0");
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** The i-th generated colour: hues a golden angle apart, alternating lightness, so neighbours differ. */
export function generatedColor(i: number): string {
  const hue = (20 + i * GOLDEN_ANGLE) % 360;
  const light = [0.5, 0.38, 0.62][i % 3]!;
  return hslToHex(hue, 0.8, light);
}

export function distinctColors(keypoints: readonly KeypointDef[]): string[] {
  const used = new Set<string>();
  let next = 0;
  return keypoints.map((k) => {
    let color = (k.color || "").toLowerCase();
    while (!color || used.has(color)) color = generatedColor(next++);
    used.add(color);
    return color;
  });
}

/** Name -> colour, for views that look colours up by keypoint name. */
export function colorsByName(keypoints: readonly KeypointDef[]): Map<string, string> {
  const colors = distinctColors(keypoints);
  return new Map(keypoints.map((k, i) => [k.name, colors[i]!]));
}
