/** Wire types of the Keyloop REST API v1 (docs/API.md). Coordinates are image pixels. */
import type { components } from "./api.gen";

/** The API's schemas, generated from its OpenAPI document (`npm run gen:types`). */
export type Schemas = components["schemas"];
/** Fields the server always sends, though the schema marks them optional (it is shared with
 * requests, which may leave them out, or their default is null). */
type Sent<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

/** viewer < annotator < reviewer (also accepts, fixes and swaps suspect labels) < admin. */
export type Role = Schemas["Role"];
export type UserRead = Schemas["UserRead"];
/** POST /auth/login: the user, and the CSRF token for when its cookie cannot be read. */
export type LoginResponse = Schemas["LoginResponse"];

/** A browser session of a user (GET /auth/sessions, GET /users/{id}/sessions). */
export type UserSessionRead = Schemas["UserSessionRead"];

export type KeypointDef = Schemas["KeypointDef"];
/** Skeleton edges and flip pairs are pairs of names (the schema says string[][]). */
export type KeypointSchema = Omit<Schemas["KeypointSchema"], "skeleton" | "flip_pairs"> & {
  skeleton: [string, string][];
  flip_pairs: [string, string][];
};

/** POST /projects. Colours and unset settings take the server's defaults (hand-written: the
 * generated request type would require every defaulted setting). */
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

export type ProjectCounts = Schemas["ImageCounts"];
export type ProjectRead = Schemas["ProjectRead"];

export type ImageState = Schemas["ImageState"];
export type Split = Schemas["ImageSplit"];
export type ImageRead = Schemas["ImageRead"];
export type ImagePage = Schemas["ImagePage"];
export type UploadResult = Schemas["UploadResult"];

export type Visibility = Schemas["Point"]["visibility"];
export type PointSource = Schemas["Point"]["source"];
export type Point = Sent<Schemas["Point"], "x" | "y">;

export type AnnotationRead = Omit<Schemas["AnnotationRead"], "keypoints"> & { keypoints: Point[] };
/** PUT /images/{id}/annotation. `version` is required here (the schema also takes If-Match
 * instead): the app always sends the version it read, so a save over someone else's conflicts.
 * Its points are the editor's, with x and y. */
export type AnnotationWrite = Omit<Schemas["AnnotationUpdate"], "version" | "keypoints"> & {
  version: number;
  keypoints: Point[];
};

/** Effort since the previous save of the image in this tab. */
export type EffortWrite = Schemas["EffortWrite"];

/** Why a predicted point is not offered as an answer: its peak is on the image border or too weak. */
export type PredictionDoubt = NonNullable<Schemas["PredictedPoint"]["doubt"]>;
export type PredictedPoint = Schemas["PredictedPoint"];
export type PredictionRead = Schemas["PredictionRead"];

/** One of the keypoints that made the model unsure of a queued image (unlabeled ones only). */
export type UncertainKeypoint = Schemas["UncertainKeypoint"];
export type QueueItem = Schemas["QueueItem"];
/** GET /projects/{id}/queue: the images to annotate next, most informative first. */
export type QueueRead = Schemas["QueueRead"];
