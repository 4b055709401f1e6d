/**
 * Agreement checks (docs/API.md, "Label quality"): wire types and calls, and the pure rules of
 * the blind second-label page (placing points in schema order, what is left to place) and the
 * admin report's numbers. The second annotator never receives the first labels.
 */
import type { ApiClient } from "./api";
import type { Point, Schemas, UserRead } from "./types";

/** A second-label task: the image and the annotator's own points (null until saved; their
 * points carry x and y, as types.ts `Point` says). */
export type SecondLabelRead = Omit<Schemas["SecondLabelRead"], "keypoints"> & {
  keypoints: Point[] | null;
};
export type AssignmentRead = Schemas["AssignmentRead"];
export type KeypointDisagreement = Schemas["KeypointDisagreement"];
export type AnnotatorPairDisagreement = Schemas["AnnotatorPairDisagreement"];
/** The numbers every row of the report has (the schemas' shared base class, which the
 * OpenAPI document flattens into each). */
export type Disagreement = Omit<KeypointDisagreement, "name">;
export type AgreementRead = Schemas["AgreementRead"];

export class AgreementApi {
  constructor(private readonly api: ApiClient) {}

  assign(projectId: number, annotatorId: number, count: number): Promise<AssignmentRead> {
    return this.api.request("POST", `/projects/${projectId}/agreement/assignments`, {
      annotator_id: annotatorId,
      count,
    });
  }
  report(projectId: number): Promise<AgreementRead> {
    return this.api.request("GET", `/projects/${projectId}/agreement`);
  }
  myTasks(projectId: number): Promise<SecondLabelRead[]> {
    return this.api.request("GET", `/projects/${projectId}/second-labels`);
  }
  save(taskId: number, keypoints: Point[]): Promise<SecondLabelRead> {
    return this.api.request("PUT", `/second-labels/${taskId}`, { keypoints });
  }
}

/** The points to start a task from: the annotator's own saved ones, else all unlabeled. */
export function startingPoints(names: readonly string[], task: SecondLabelRead): Point[] {
  const saved = new Map((task.keypoints ?? []).map((p) => [p.name, p]));
  return names.map(
    (name) =>
      saved.get(name) ?? { name, x: null, y: null, visibility: "unlabeled", source: "human" },
  );
}

/** Place keypoint `index` at (x, y), visible; the next one to place is the first unlabeled
 * after it (wrapping), or the same one when all are placed. */
export function placePoint(
  points: readonly Point[],
  index: number,
  x: number,
  y: number,
): { points: Point[]; next: number } {
  const placed = points.map((p, k) =>
    k === index ? { ...p, x, y, visibility: "visible" as const, source: "human" as const } : p,
  );
  const n = placed.length;
  for (let step = 1; step <= n; step++) {
    const k = (index + step) % n;
    if (placed[k]?.visibility === "unlabeled") return { points: placed, next: k };
  }
  return { points: placed, next: index };
}

/** Keypoint `index` back to unlabeled (not visible in this image). */
export function clearPoint(points: readonly Point[], index: number): Point[] {
  return points.map((p, k) =>
    k === index ? { ...p, x: null, y: null, visibility: "unlabeled" as const } : p,
  );
}

/** Who can be sent a sample: active users who may label. */
export function eligibleAnnotators(users: readonly UserRead[]): UserRead[] {
  return users.filter((u) => u.is_active && u.role !== "viewer");
}

/** "3.2 px", "0.081", "—" for none. */
export function formatPx(value: number | null): string {
  return value === null ? "—" : `${value.toFixed(1)} px`;
}
export function formatNormalized(value: number | null): string {
  return value === null ? "—" : value.toFixed(3);
}
