/**
 * The review queue's wire types and calls (docs/API.md, "Label quality"): the open suspect
 * labels of a project, worst first, and a reviewer's decision on an image.
 */
import type { ApiClient } from "./api";
import type { AnnotationRead, Point } from "./types";

export type SuspectKind =
  | "far_from_prediction"
  | "classified_as_other"
  | "left_right_swap"
  | "edge_length"
  | "outside_roi";

export interface SuspectReason {
  kind: SuspectKind;
  /** One sentence for the reviewer, written by the scorer. */
  detail: string;
}
export interface SuspectPoint {
  x: number | null;
  y: number | null;
}
export interface SuspectRead {
  id: number;
  image_id: number;
  image_name: string;
  keypoint: string;
  /** In [0, 1], higher = more likely wrong. */
  score: number;
  reasons: SuspectReason[];
  label: SuspectPoint;
  predicted: SuspectPoint | null;
  model_version_id: number | null;
  /** The annotation version it was scored on; any later save closes it. */
  annotation_version: number;
  created_at: string;
}
export interface SuspectPage {
  total: number;
  items: SuspectRead[];
}

export type Decision = "accept" | "fix" | "swap";
export interface ReviewCreate {
  version: number;
  decision: Decision;
  keypoint?: string;
  /** fix: the corrected keypoints (by name); the others stay as stored. */
  keypoints?: Point[];
}
export interface ReviewRead {
  annotation: AnnotationRead;
  reviewed_at: string;
  reviewed_by: string;
}

export class ReviewApi {
  constructor(private readonly api: ApiClient) {}

  suspects(projectId: number, offset = 0, limit = 100): Promise<SuspectPage> {
    return this.api.request(
      "GET",
      `/projects/${projectId}/suspects?offset=${offset}&limit=${limit}`,
    );
  }
  review(imageId: number, body: ReviewCreate): Promise<ReviewRead> {
    return this.api.request("POST", `/images/${imageId}/review`, body);
  }
}
