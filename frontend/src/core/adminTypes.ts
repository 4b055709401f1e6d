/** Wire types of the admin endpoints (training jobs, model versions, evaluations, health, tokens). */
import type { EffortCounts, ProjectCounts as ImageCounts } from "./types";

export type Backbone = "hrnet_w32" | "hrnet_w18_small" | "efficientnet_lite0";
export type JobKind =
  | "train"
  | "predict"
  | "evaluate"
  | "import"
  | "extract_frames"
  | "predict_video"
  | "score_labels";
export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface TrainingOptions {
  backbone?: Backbone | null;
  input_size?: number | null;
  max_steps?: number | null;
  max_minutes?: number | null;
  batch_size?: number | null;
  semi_supervised?: boolean;
  seed?: number;
}

/** One entry of a job's progress history. Training steps carry step/total/losses (and val_pck
 * when validation ran); phase changes and prediction counts are entries too. */
export interface HistoryEntry {
  step?: number;
  total?: number;
  losses?: Record<string, number | null>;
  val_pck?: number | null;
  elapsed_s?: number;
  phase?: string;
  /** The entry's number within the job, counting across a resumed run. */
  seq?: number;
  [key: string]: unknown;
}

export interface JobProgress {
  phase?: string;
  history?: HistoryEntry[];
  step?: number;
  total?: number;
  model_version_id?: number;
  [key: string]: unknown;
}

export interface JobRead {
  id: number;
  /** null while an import that creates its project runs; the new project's id once it succeeds. */
  project_id: number | null;
  kind: JobKind;
  state: JobState;
  options: Record<string, unknown>;
  progress: JobProgress;
  error: string | null;
  cancel_requested: boolean;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface VersionMetrics {
  pck?: number | null;
  normalizer?: PckNormalizer;
  pckh?: number | null;
  per_keypoint?: Record<string, number | null>;
  image_ids?: number[];
  per_image_normalized_error?: (number | null)[];
  [key: string]: unknown;
}

export interface ModelVersionRead {
  id: number;
  project_id: number;
  /** 1, 2, … within the project: shown as "v1". */
  number: number;
  training_job_id: number | null;
  backbone: string;
  config: Record<string, unknown>;
  metrics: VersionMetrics;
  labeled_count: number;
  unlabeled_count: number;
  is_active: boolean;
  created_at: string;
  promoted_at: string | null;
}

export interface EvaluationRead {
  id: number;
  model_version_id: number;
  alpha: number;
  metrics: VersionMetrics;
  created_at: string;
}

/** An evaluation without its per-image lists (GET /projects/{id}/evaluations). */
export interface EvaluationSummary {
  id: number;
  model_version_id: number;
  alpha: number;
  created_at: string;
  pck: number | null;
  normalizer: PckNormalizer | null;
  per_keypoint: Record<string, number | null>;
  mean_error_px: number | null;
  count: number;
  image_count: number;
  has_points: boolean;
  has_embedding: boolean;
}

export type XY = [number, number];
export interface ExampleImage {
  image_id: number;
  original_name: string;
  width: number;
  height: number;
  normalized_error: number | null;
  predicted_xy: (XY | null)[] | null;
  true_xy: (XY | null)[] | null;
}

export interface EmbeddingPoint {
  x: number;
  y: number;
  keypoint: string;
  image_id: number | null;
  labeled: boolean;
}
export interface EmbeddingRead {
  evaluation_id: number;
  method: string;
  keypoint_names: string[];
  points: EmbeddingPoint[];
}

export interface LabelEfficiencyPoint {
  model_version_id: number;
  created_at: string;
  backbone: string;
  labeled_count: number;
  unlabeled_count: number;
  pck: number | null;
  is_active: boolean;
}

export interface KeypointCoverage {
  name: string;
  visible: number;
  occluded: number;
  labeled: number;
  fraction: number;
}
export interface AnnotatorActivity {
  user_id: number | null;
  email: string | null;
  annotations: number;
  done: number;
  revisions: number;
}
export interface SplitCounts {
  images: number;
  annotated: number;
  done: number;
}
export interface ProjectHealth {
  project_id: number;
  counts: ImageCounts;
  splits: Record<string, SplitCounts>;
  keypoints: KeypointCoverage[];
  never_labeled: string[];
  rarely_labeled: string[];
  rare_fraction: number;
  annotators: AnnotatorActivity[];
}

export type PromotePolicy = "not_worse" | "always" | "manual";
export type AutoRetrain = "off" | "once_a_model_exists" | "on";
export interface ProjectSettings {
  validation_fraction: number;
  /** Beat's policy: "once_a_model_exists" (default) keeps it off until a first version exists. */
  auto_retrain: AutoRetrain;
  /** Images annotated in the editor since the last training; 0 = never. */
  retrain_threshold: number;
  promote_policy: PromotePolicy;
  queue_strategy: "uncertainty" | "random" | "sequential";
  auto_done: boolean;
}

export interface TokenRead {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}
export interface TokenCreated extends TokenRead {
  token: string;
}

/** What a stored PCK's length l is (worker/evaluating.py). */
export type PckNormalizer = "bbox" | "roi" | "extent" | "mixed";

/** GET /projects/{id}/effort: what the annotators' saves took, per model version, annotator or day. */
export type EffortGroup = "version" | "annotator" | "day";
export interface EffortRow extends EffortCounts {
  /** The key of the grouping asked for; the others are null. A null version: no model shown. */
  model_version_id: number | null;
  model_version_number: number | null;
  user_id: number | null;
  email: string | null;
  day: string | null;
  saves: number;
  images: number;
  /** Of the predicted keypoints labeled, the share saved as predicted; null when none was. */
  accepted_untouched_fraction: number | null;
  clicks_per_image: number;
  seconds_per_image_mean: number;
  seconds_per_image_median: number;
}
export interface EffortReport {
  project_id: number;
  group: EffortGroup;
  user_id: number | null;
  rows: EffortRow[];
  /** Editor saves that reported no effort (API clients), in no row. */
  unmeasured_saves: number;
}
