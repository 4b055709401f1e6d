/**
 * Pure shaping of admin data for charts and tables: job history -> loss / PCK series, model
 * versions -> the label-efficiency curve, the embedding map grouped by keypoint, points of an
 * example image fitted into a box. No DOM, no chart library: unit-tested in tests/core.
 */
import type {
  Backbone,
  EmbeddingRead,
  HistoryEntry,
  JobState,
  LabelEfficiencyPoint,
  PckNormalizer,
  TrainingOptions,
  XY,
} from "./adminTypes";

export interface LossSeries {
  name: string;
  values: (number | null)[]; // aligned with TrainingSeries.steps; null = not reported then
}
export interface TrainingSeries {
  steps: number[];
  losses: LossSeries[];
  pck: { step: number; pck: number }[];
  last: { step: number; total: number } | null;
}

/** Training entries of a job history as chart series. Entries without a numeric step and a
 * losses object (phase changes, prediction counts) are skipped; a step reported twice (a job
 * resumed from its checkpoint) keeps the later value; "total" is the first loss series. */
export function trainingSeries(history: readonly HistoryEntry[] | undefined): TrainingSeries {
  const byStep = new Map<number, HistoryEntry>();
  for (const entry of history ?? []) {
    if (typeof entry.step !== "number" || !Number.isFinite(entry.step)) continue;
    if (typeof entry.losses !== "object" || entry.losses === null) continue;
    byStep.set(entry.step, entry);
  }
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  const names: string[] = [];
  for (const step of steps) {
    for (const name of Object.keys(byStep.get(step)?.losses ?? {})) {
      if (!names.includes(name)) names.push(name);
    }
  }
  names.sort((a, b) => (a === "total" ? -1 : b === "total" ? 1 : 0));
  const losses = names.map((name) => ({
    name,
    values: steps.map((s) => finiteOrNull(byStep.get(s)?.losses?.[name])),
  }));
  const pck: { step: number; pck: number }[] = [];
  for (const step of steps) {
    const value = finiteOrNull(byStep.get(step)?.val_pck);
    if (value !== null) pck.push({ step, pck: value });
  }
  const lastStep = steps[steps.length - 1];
  const lastEntry = lastStep === undefined ? undefined : byStep.get(lastStep);
  const last =
    lastStep === undefined
      ? null
      : {
          step: lastStep,
          total: typeof lastEntry?.total === "number" ? lastEntry.total : lastStep,
        };
  return { steps, losses, pck, last };
}

export interface EfficiencyCurve {
  label: string; // backbone and training mode, e.g. "hrnet_w32 · semi-supervised"
  points: { labeled: number; pck: number; versionId: number; active: boolean }[];
}

/** One curve per backbone and training mode (semi-supervised = it used unlabeled images),
 * since PCK is only comparable within one; points by labeled count. Versions without a PCK
 * (no labeled validation images) are left out. */
export function labelEfficiencyCurves(points: readonly LabelEfficiencyPoint[]): EfficiencyCurve[] {
  const curves = new Map<string, EfficiencyCurve>();
  for (const p of points) {
    if (p.pck === null || !Number.isFinite(p.pck)) continue;
    const label = `${p.backbone} · ${p.unlabeled_count > 0 ? "semi-supervised" : "supervised"}`;
    const curve = curves.get(label) ?? { label, points: [] };
    curve.points.push({
      labeled: p.labeled_count,
      pck: p.pck,
      versionId: p.model_version_id,
      active: p.is_active,
    });
    curves.set(label, curve);
  }
  for (const curve of curves.values()) {
    curve.points.sort((a, b) => a.labeled - b.labeled || a.versionId - b.versionId);
  }
  return [...curves.values()].sort((a, b) => a.label.localeCompare(b.label));
}

export interface EmbeddingGroup {
  keypoint: string;
  points: { x: number; y: number; imageId: number | null; labeled: boolean }[];
}

/** The embedding map as one group per keypoint, in schema order (the colour legend's order). */
export function embeddingGroups(embedding: EmbeddingRead): EmbeddingGroup[] {
  const groups = new Map<string, EmbeddingGroup>(
    embedding.keypoint_names.map((name) => [name, { keypoint: name, points: [] }]),
  );
  for (const p of embedding.points) {
    const group = groups.get(p.keypoint) ?? { keypoint: p.keypoint, points: [] };
    group.points.push({ x: p.x, y: p.y, imageId: p.image_id, labeled: p.labeled });
    groups.set(p.keypoint, group);
  }
  return [...groups.values()].filter((g) => g.points.length > 0);
}

/** Scale that fits a width x height image into a box, and the image -> box conversion. */
export function fitImage(width: number, height: number, boxWidth: number, boxHeight: number) {
  const scale = Math.min(boxWidth / width, boxHeight / height);
  return {
    scale,
    width: width * scale,
    height: height * scale,
    imageToBox: ([x, y]: XY): XY => [x * scale, y * scale],
  };
}

const LOSS_LABELS: Record<string, string> = {
  total: "total (weighted)",
  supervised: "supervised heatmap",
  sc: "semantic consistency",
  te: "transformation equivariance",
  ti: "transformation invariance",
};

/** The legend name of a loss term reported by the trainer (unknown names pass through). */
export function lossLabel(name: string): string {
  return LOSS_LABELS[name] ?? name;
}

export const ACTIVE_JOB_STATES: readonly JobState[] = ["queued", "running"];
export function isActive(state: JobState): boolean {
  return ACTIVE_JOB_STATES.includes(state);
}

export function formatPck(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : "—";
}

export interface TrainingForm {
  backbone: Backbone | "";
  inputSize: string;
  maxSteps: string;
  maxMinutes: string;
  batchSize: string;
  semiSupervised: boolean;
}

/** Form strings -> TrainingOptions: blank fields are left to the worker's defaults. */
export function trainingOptions(form: TrainingForm): TrainingOptions {
  const options: TrainingOptions = { semi_supervised: form.semiSupervised };
  if (form.backbone) options.backbone = form.backbone;
  const int = (s: string) => (s.trim() === "" ? null : Number.parseInt(s, 10));
  const inputSize = int(form.inputSize);
  const maxSteps = int(form.maxSteps);
  const batchSize = int(form.batchSize);
  const maxMinutes = form.maxMinutes.trim() === "" ? null : Number.parseFloat(form.maxMinutes);
  if (inputSize !== null && Number.isFinite(inputSize)) options.input_size = inputSize;
  if (maxSteps !== null && Number.isFinite(maxSteps)) options.max_steps = maxSteps;
  if (batchSize !== null && Number.isFinite(batchSize)) options.batch_size = batchSize;
  if (maxMinutes !== null && Number.isFinite(maxMinutes)) options.max_minutes = maxMinutes;
  return options;
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

type MaybeXy = readonly [number, number] | readonly number[] | null | undefined;

/** An image's mean keypoint error in image pixels over its labeled keypoints (null when none
 * is both labeled and predicted): the unit of the evaluation header, for the worst examples. */
export function meanErrorPx(
  truth: readonly MaybeXy[] | null | undefined,
  predicted: readonly MaybeXy[] | null | undefined,
): number | null {
  const errors: number[] = [];
  (truth ?? []).forEach((t, i) => {
    const p = predicted?.[i];
    if (!t || !p || t.length < 2 || p.length < 2) return;
    errors.push(Math.hypot(p[0]! - t[0]!, p[1]! - t[1]!));
  });
  return errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : null;
}

const NORMALIZER_WORDS: Record<PckNormalizer, string> = {
  bbox: "bbox",
  roi: "ROI",
  extent: "keypoint extent",
  mixed: "mixed normalisers",
};

/** "PCK@0.1 (bbox)": the metric named by the length it normalises by, when known. */
export function pckLabel(alpha: number, normalizer: unknown): string {
  const word =
    typeof normalizer === "string" ? NORMALIZER_WORDS[normalizer as PckNormalizer] : undefined;
  return word ? `PCK@${alpha} (${word})` : `PCK@${alpha}`;
}
