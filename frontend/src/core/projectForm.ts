/**
 * The "New project" form's text fields -> a `ProjectCreate` body, with the same checks the
 * server makes (backend/schemas/project.py), so most mistakes are named before the POST.
 * Keypoints: one per line or comma-separated, in order. Pairs (skeleton edges, flip pairs):
 * "a-b" per line (or separated by ";" or ","); a name that itself holds "-" is found by trying
 * each "-" and keeping the split whose two sides are both keypoints.
 */
import type { ProjectCreate } from "./types";

export interface ProjectFormInput {
  name: string;
  description: string;
  keypoints: string;
  skeleton: string;
  flipPairs: string;
  validationFraction: string;
}

export type ProjectFormResult = { ok: true; body: ProjectCreate } | { ok: false; errors: string[] };

const MAX_KEYPOINTS = 200;
const MAX_NAME = 64;

export function parseKeypointNames(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Pairs of known names; each entry that is not one is reported, naming the unknown parts. */
export function parsePairs(
  text: string,
  known: readonly string[],
  label: string,
): { pairs: [string, string][]; errors: string[] } {
  const names = new Set(known);
  const pairs: [string, string][] = [];
  const errors: string[] = [];
  const entries = text
    .split(/[\n;,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const entry of entries) {
    const splits = dashSplits(entry);
    if (splits.length === 0) {
      errors.push(`${label}: "${entry}" is not a pair; write it as a-b`);
      continue;
    }
    const valid = splits.filter(([a, b]) => names.has(a) && names.has(b));
    if (valid.length > 1) {
      errors.push(`${label}: "${entry}" can be read more than one way; rename the keypoints`);
    } else if (valid.length === 1) {
      const [a, b] = valid[0]!;
      if (a === b) errors.push(`${label}: "${entry}" pairs a keypoint with itself`);
      else pairs.push([a, b]);
    } else {
      const [a, b] = splits[0]!;
      const unknown = [a, b].filter((n) => !names.has(n));
      errors.push(
        `${label}: "${entry}" names unknown keypoint${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`,
      );
    }
  }
  return { pairs, errors };
}

/** Every split of `entry` at one "-" into two non-empty trimmed sides. */
function dashSplits(entry: string): [string, string][] {
  const out: [string, string][] = [];
  for (let i = entry.indexOf("-"); i !== -1; i = entry.indexOf("-", i + 1)) {
    const a = entry.slice(0, i).trim();
    const b = entry.slice(i + 1).trim();
    if (a && b) out.push([a, b]);
  }
  return out;
}

/** Names that occur more than once, in order of first occurrence. */
function repeatedNames(names: readonly string[]): string[] {
  return names.filter((n, i) => names.indexOf(n) === i && names.lastIndexOf(n) !== i);
}

export function buildProjectCreate(input: ProjectFormInput): ProjectFormResult {
  const errors: string[] = [];
  const name = input.name.trim();
  if (!name) errors.push("Project name: required");
  else if (name.length > 200) errors.push("Project name: at most 200 characters");

  const keypoints = parseKeypointNames(input.keypoints);
  if (keypoints.length === 0) errors.push("Keypoints: name at least one");
  if (keypoints.length > MAX_KEYPOINTS) errors.push(`Keypoints: at most ${MAX_KEYPOINTS}`);
  const long = keypoints.filter((k) => k.length > MAX_NAME);
  if (long.length)
    errors.push(`Keypoints: names are at most ${MAX_NAME} characters (${long.join(", ")})`);
  const repeated = repeatedNames(keypoints);
  if (repeated.length)
    errors.push(`Keypoints: names must be unique; repeated: ${repeated.join(", ")}`);

  const skeleton = parsePairs(input.skeleton, keypoints, "Skeleton");
  const flips = parsePairs(input.flipPairs, keypoints, "Flip pairs");
  errors.push(...skeleton.errors, ...flips.errors);
  const flipped = flips.pairs.flat();
  const twice = repeatedNames(flipped);
  if (twice.length) errors.push(`Flip pairs: ${twice.join(", ")} in more than one pair`);

  const fractionText = input.validationFraction.trim();
  const fraction = fractionText === "" ? 0.2 : Number(fractionText);
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 0.9) {
    errors.push("Validation fraction: a number from 0 to 0.9");
  }

  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    body: {
      name,
      description: input.description.trim(),
      keypoint_schema: {
        keypoints: keypoints.map((k) => ({ name: k })), // the server assigns colours
        skeleton: skeleton.pairs,
        flip_pairs: flips.pairs,
      },
      settings: { validation_fraction: fraction },
    },
  };
}
