/**
 * The review queue's wire types and calls (docs/API.md, "Label quality"): the open suspect
 * labels of a project, worst first, and a reviewer's decision on an image.
 */
import type { ApiClient } from "./api";
import type { AnnotationRead, Schemas } from "./types";

/** Why a label is suspect: `detail` is one sentence for the reviewer, written by the scorer;
 * other keys carry kind-specific numbers (distance, other keypoint). */
export type SuspectReason = Schemas["SuspectReason"];
export type SuspectKind = SuspectReason["kind"];
export type SuspectPoint = Schemas["SuspectPoint"];
/** An open suspect label: `score` in [0, 1], higher = more likely wrong; it stays open at
 * `annotation_version`, the one it was scored on (any later save closes it). */
export type SuspectRead = Schemas["SuspectRead"];
export type SuspectPage = Schemas["SuspectPage"];

/** A reviewer's decision; for `fix`, `keypoints` are the corrected ones (by name), the others
 * stay as stored. */
export type ReviewCreate = Schemas["ReviewCreate"];
export type Decision = ReviewCreate["decision"];
/** The saved annotation's points carry x and y (types.ts `AnnotationRead`). */
export type ReviewRead = Omit<Schemas["ReviewRead"], "annotation"> & { annotation: AnnotationRead };

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
