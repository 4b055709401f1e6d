/** Wire types of the admin endpoints (training jobs, model versions, evaluations, health, users,
 * tokens). */
import type { Schemas } from "./types";

export type Backbone = NonNullable<Schemas["TrainingOptions"]["backbone"]>;
export type JobKind = Schemas["JobKind"];
export type JobState = Schemas["JobState"];

/** A request body: every field has a server default, so any may be left out (the generated
 * type lists fields with a default as present, which holds for responses only). */
export type TrainingOptions = Partial<Schemas["TrainingOptions"]>;

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

// `progress` and `metrics` are free JSON in the schema (dict[str, Any]); the types below name the
// keys the frontend reads.
export type JobRead = Omit<Schemas["JobRead"], "progress"> & { progress: JobProgress };

export interface VersionMetrics {
  pck?: number | null;
  normalizer?: PckNormalizer;
  pckh?: number | null;
  per_keypoint?: Record<string, number | null>;
  image_ids?: number[];
  per_image_normalized_error?: (number | null)[];
  [key: string]: unknown;
}

export type ModelVersionRead = Omit<Schemas["ModelVersionRead"], "metrics"> & {
  metrics: VersionMetrics;
};

export type EvaluationRead = Omit<Schemas["EvaluationRead"], "metrics"> & {
  metrics: VersionMetrics;
};

/** An evaluation without its per-image lists (GET /projects/{id}/evaluations). */
export type EvaluationSummary = Schemas["EvaluationSummary"];

/** The schema says number[][]; the worker stores [x, y] pairs. */
export type XY = [number, number];
export type ExampleImage = Omit<Schemas["ExampleImage"], "predicted_xy" | "true_xy"> & {
  predicted_xy: (XY | null)[] | null;
  true_xy: (XY | null)[] | null;
};

export type EmbeddingPoint = Schemas["EmbeddingPoint"];
export type EmbeddingRead = Schemas["EmbeddingRead"];

export type LabelEfficiencyPoint = Schemas["LabelEfficiencyPoint"];

export type KeypointCoverage = Schemas["KeypointCoverage"];
export type AnnotatorActivity = Schemas["AnnotatorActivity"];
export type SplitCounts = Schemas["SplitCounts"];
export type ProjectHealth = Schemas["ProjectHealth"];

export type PromotePolicy = Schemas["ProjectSettings"]["promote_policy"];
export type AutoRetrain = Schemas["ProjectSettings"]["auto_retrain"];
export type ProjectSettings = Schemas["ProjectSettings"];

/** PATCH /users/{id}: the fields to change; those left out stay as they are. */
export type UserUpdate = Schemas["UserUpdate"];

export type TokenRead = Schemas["TokenRead"];
export type TokenCreated = Schemas["TokenCreated"];

/** What a stored PCK's length l is (worker/evaluating.py). */
export type PckNormalizer = "bbox" | "roi" | "extent" | "mixed";

/** GET /projects/{id}/effort: what the annotators' saves took, per model version, annotator or day. */
export type EffortGroup = Schemas["EffortReport"]["group"];
export type EffortRow = Schemas["EffortRow"];
export type EffortReport = Schemas["EffortReport"];
