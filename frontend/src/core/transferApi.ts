/**
 * Import from and export to other annotation tools (backend/api/routes/imports.py, exports.py,
 * docs/FORMATS.md), over the shared ApiClient. An import is a job: the POST answers 202 with
 * it (a 4xx means the upload itself was refused), and polling `GET /jobs/{id}` shows its
 * progress, then the report (`progress.report`) or the error naming the file and the element
 * at fault; a failed import stores nothing. Exports are plain GET downloads (the session
 * cookie authenticates them), so the UI only needs their URL.
 */
import type { JobRead } from "./adminTypes";
import type { ApiClient } from "./api";
import type { PickedFile } from "./fileSelection";
import type { ImageState, Schemas, Split } from "./types";

export type TransferFormat = Schemas["Format"];

export const TRANSFER_FORMATS: readonly { value: TransferFormat; label: string }[] = [
  { value: "coco", label: "COCO keypoints" },
  { value: "dlc", label: "DeepLabCut" },
  { value: "cvat", label: "CVAT 1.1" },
  { value: "sleap", label: "SLEAP" },
  { value: "label-studio", label: "Label Studio JSON" },
  { value: "yolo", label: "Ultralytics YOLO pose" },
];

// The import's report is free JSON in the job's progress (`progress.report`, no schema): the two
// types below follow backend/services/transfer.py's ImportReport and Duplicate.
export interface ImportDuplicate {
  filename: string;
  existing_image_id: number;
  annotation: "applied" | "kept existing" | "none";
}

export interface ImportResult {
  project_id: number;
  images_created: number;
  annotations_saved: number;
  duplicates: ImportDuplicate[];
  notes: string[];
}

export interface ExportOptions {
  state?: ImageState | undefined;
  split?: Split | undefined;
  /** Only images a reviewer accepted or corrected as they are now. */
  reviewed?: boolean;
  /** COCO only: the active model's predictions instead of the annotations. */
  predictions?: boolean;
  /** COCO only: a zip with the images instead of the JSON alone. */
  images?: boolean;
  /** DeepLabCut only: the scorer of CollectedData_<scorer> (default: the imported project's). */
  scorer?: string | undefined;
  /** SLEAP only: video frames embedded (the default) or as frame indices into the video file. */
  sleapVideo?: SleapVideo | undefined;
  /** DeepLabCut only: the video files the frames come from, under videos/. */
  dlcVideos?: boolean;
}

/** How a SLEAP export writes frames taken from a Keyloop video. */
export type SleapVideo = Schemas["SleapVideo"];

/** What DeepLabCut accepts as a scorer here: it becomes part of file names. */
export const SCORER_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.\\-]*";

/** The export path below the API base; options that do not apply to `fmt` are left out. */
export function exportPath(
  projectId: number,
  fmt: TransferFormat,
  options: ExportOptions = {},
): string {
  const q = new URLSearchParams();
  if (options.state) q.set("state", options.state);
  if (options.split) q.set("split", options.split);
  if (options.reviewed) q.set("reviewed", "true");
  if (fmt === "coco" && options.predictions) q.set("predictions", "true");
  if (fmt === "coco" && options.images) q.set("images", "true");
  const scorer = options.scorer?.trim();
  if (fmt === "dlc" && scorer) q.set("scorer", scorer);
  if (fmt === "dlc" && options.dlcVideos) q.set("videos", "true");
  if (fmt === "sleap" && options.sleapVideo === "video") q.set("sleap_video", "video");
  const query = q.toString();
  return `/projects/${projectId}/export/${fmt}${query ? `?${query}` : ""}`;
}

/** What the export downloads: COCO without images is the JSON, everything else a zip. */
export function exportKind(fmt: TransferFormat, options: ExportOptions = {}): "json" | "zip" {
  return fmt === "coco" && !options.images ? "json" : "zip";
}

/** One line for the import's outcome, e.g. "2 images created, 2 annotations saved, 1 duplicate". */
export function summarizeImport(result: ImportResult): string {
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [
    count(result.images_created, "image created", "images created"),
    count(result.annotations_saved, "annotation saved", "annotations saved"),
    count(result.duplicates.length, "duplicate", "duplicates"),
  ].join(", ");
}

/** What happened to a duplicate and its label, e.g. "Frame_1.jpg was a duplicate of image 12;
 * its label was not applied (that image is annotated already)". */
export function duplicateText(d: ImportDuplicate): string {
  const head = `${d.filename} was a duplicate of image ${d.existing_image_id}`;
  switch (d.annotation) {
    case "applied":
      return `${head}; its label was applied to that image`;
    case "kept existing":
      return `${head}; its label was not applied (that image is annotated already)`;
    case "none":
      return `${head}; it had no label`;
  }
}

/** Where an import job stands, for a progress bar and a message. */
export type ImportStatus =
  | { state: "running"; text: string; step: number; total: number }
  | { state: "succeeded"; result: ImportResult }
  | { state: "failed"; error: string }
  | { state: "cancelled" };

const PHASES: Record<string, string> = {
  reading: "Reading the annotation file",
  preparing: "Checking and storing images",
  videos: "Matching frames to their videos",
  recording: "Saving images and annotations",
};

export function importStatus(job: JobRead): ImportStatus {
  const report = job.progress.report as ImportResult | undefined;
  if (job.state === "succeeded" && report) return { state: "succeeded", result: report };
  if (job.state === "failed") return { state: "failed", error: job.error ?? "the import failed" };
  if (job.state === "cancelled") return { state: "cancelled" };
  const phase = job.progress.phase;
  const step = typeof job.progress.step === "number" ? job.progress.step : 0;
  const total = typeof job.progress.total === "number" ? job.progress.total : 0;
  const text =
    job.state === "queued" || !phase ? "Waiting for the import worker" : (PHASES[phase] ?? phase);
  return { state: "running", text: total ? `${text}: ${step} / ${total}` : text, step, total };
}

/** Each file under its relative path, so the server sees the folders it was picked in. */
function filesForm(files: readonly PickedFile[]): FormData {
  const form = new FormData();
  for (const f of files) form.append("files", f.file, f.path);
  return form;
}

export class TransferApi {
  constructor(private readonly client: ApiClient) {}

  /** Start importing into an existing project; the file's keypoints are matched to it by name. */
  importInto(
    projectId: number,
    fmt: TransferFormat,
    files: readonly PickedFile[],
    label?: string,
  ): Promise<JobRead> {
    const q = label ? `?${new URLSearchParams({ label }).toString()}` : "";
    return this.client.request(
      "POST",
      `/projects/${projectId}/import/${fmt}${q}`,
      filesForm(files),
    );
  }

  /** Start creating a project whose keypoint schema is the file's, and importing into it. */
  importAsNewProject(
    fmt: TransferFormat,
    files: readonly PickedFile[],
    name?: string,
    label?: string,
  ): Promise<JobRead> {
    const q = new URLSearchParams();
    if (name) q.set("name", name);
    if (label) q.set("label", label);
    const query = q.toString();
    return this.client.request(
      "POST",
      `/projects/import/${fmt}${query ? `?${query}` : ""}`,
      filesForm(files),
    );
  }

  job(jobId: number): Promise<JobRead> {
    return this.client.request("GET", `/jobs/${jobId}`);
  }

  exportUrl(projectId: number, fmt: TransferFormat, options: ExportOptions = {}): string {
    return this.client.base + exportPath(projectId, fmt, options);
  }
}
