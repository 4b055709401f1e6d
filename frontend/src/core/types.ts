/** Wire types of the Keyloop REST API v1 (docs/API.md). Coordinates are image pixels. */

/** viewer < annotator < reviewer (also accepts, fixes and swaps suspect labels) < admin. */
export type Role = "viewer" | "annotator" | "reviewer" | "admin";
export interface UserRead {
  id: number;
  email: string;
  role: Role;
  is_active: boolean;
  created_at: string;
}

/** A browser session of a user (GET /auth/sessions, GET /users/{id}/sessions). */
export interface UserSessionRead {
  id: number;
  created_at: string;
  /** Refreshed by the server at most every 5 minutes. */
  last_seen_at: string;
  expires_at: string;
  user_agent: string;
  /** The peer address the API saw (a proxy's, unless uvicorn trusts forwarded headers). */
  ip: string;
  /** The session the request came with. */
  current: boolean;
}

export interface KeypointDef {
  name: string;
  color: string;
}
export interface KeypointSchema {
  keypoints: KeypointDef[];
  skeleton: [string, string][];
  flip_pairs: [string, string][];
}

/** POST /projects. Colours and unset settings take the server's defaults. */
export interface ProjectCreate {
  name: string;
  description: string;
  keypoint_schema: {
    keypoints: { name: string; color?: string }[];
    skeleton: [string, string][];
    flip_pairs: [string, string][];
  };
  settings?: { validation_fraction?: number };
}

export interface ProjectCounts {
  total: number;
  new: number;
  predicted: number;
  in_progress: number;
  done: number;
  train: number;
  validation: number;
}
export interface ProjectRead {
  id: number;
  name: string;
  description: string;
  keypoint_schema: KeypointSchema;
  settings: Record<string, unknown>;
  created_at: string;
  counts: ProjectCounts;
}

export type ImageState = "new" | "predicted" | "in_progress" | "done";
export type Split = "train" | "validation";
export interface ImageRead {
  id: number;
  project_id: number;
  original_name: string;
  width: number;
  height: number;
  checksum: string;
  split: Split;
  state: ImageState;
  roi: [number, number, number, number] | null;
  labeled_count: number;
  created_at: string;
  /** Set when the image is a frame of one of the project's videos. */
  video_id?: number | null;
  frame_index?: number | null;
  frame_time?: number | null;
  /** Set by a review decision; cleared by any later save that is not a review. */
  reviewed_at?: string | null;
  reviewed_by_id?: number | null;
}
export interface ImagePage {
  items: ImageRead[];
  total: number;
  offset: number;
  limit: number;
}
export interface UploadResult {
  created: ImageRead[];
  duplicates: { filename: string; existing_image_id: number }[];
}

export type Visibility = "unlabeled" | "visible" | "occluded";
export type PointSource = "human" | "prediction";
export interface Point {
  name: string;
  x: number | null;
  y: number | null;
  visibility: Visibility;
  source: PointSource;
}

export interface AnnotationRead {
  image_id: number;
  version: number;
  keypoints: Point[];
  done: boolean;
  updated_at: string | null;
  updated_by: string | null;
}
export interface AnnotationWrite {
  version: number;
  keypoints: Point[];
  done: boolean;
  /** What labeling this save took (core/effort.ts); optional for API clients. */
  effort?: EffortWrite;
}

/** Labeling effort counts: keypoints by outcome, clicks, active seconds (core/effort.ts). */
export interface EffortCounts {
  placed: number;
  moved: number;
  accepted: number;
  accepted_revoked: number;
  occluded: number;
  unlabeled: number;
  predicted: number;
  clicks: number;
  active_seconds: number;
}

/** Effort since the previous save of the image in this tab. */
export interface EffortWrite extends EffortCounts {
  /** The model version whose prediction the annotator saw; null when none was shown. */
  model_version_id: number | null;
}

/** Why a predicted point is not offered as an answer: its peak is on the image border or too weak. */
export type PredictionDoubt = "border" | "weak_peak";
export interface PredictedPoint {
  name: string;
  x: number;
  y: number;
  /** Calibrated: the share of such predictions that were within PCK@0.1 on validation images, in [0, 1]. */
  confidence: number;
  uncertainty: number | null;
  /** Set when the point is shown but never accepted in bulk; absent on older predictions. */
  doubt?: PredictionDoubt | null;
}
export interface PredictionRead {
  model_version_id: number;
  keypoints: PredictedPoint[];
}

/** One of the keypoints that made the model unsure of a queued image (unlabeled ones only). */
export interface UncertainKeypoint {
  name: string;
  uncertainty: number;
  confidence: number | null;
  /** The strongest signal: "equivariance" | "invariance" | "semantic" | "low_confidence". */
  reason: string | null;
}
export interface QueueItem {
  image: ImageRead;
  rank: number;
  /** Image uncertainty in [0, 1]; null for random and sequential orders and unranked images. */
  score: number | null;
  /** Most uncertain first. */
  uncertain_keypoints: UncertainKeypoint[];
}
/** GET /projects/{id}/queue: the images to annotate next, most informative first. */
export interface QueueRead {
  strategy: "uncertainty" | "random" | "sequential";
  requested_strategy: "uncertainty" | "random" | "sequential";
  fallback_reason: string | null;
  model_version_id: number | null;
  remaining: number;
  items: QueueItem[];
}
