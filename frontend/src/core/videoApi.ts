/**
 * Videos: types, calls over the app's ApiClient, the upload with progress (XMLHttpRequest:
 * fetch reports no upload progress), and the pure helpers the views use (frame labels,
 * neighbour frames, job progress text), unit-tested apart from the views.
 */
import type { JobRead } from "./adminTypes";
import { ApiError, type ApiClient } from "./api";
import type { Schemas } from "./types";

/** A project's video; `frame_images` counts its frames that are project images and
 * `frames_labeled` those someone labeled (in progress or done). */
export type VideoRead = Schemas["VideoRead"];
/** An upload's answer: the video, and the job linking project images that say they are its
 * frames (`<stem>/img<N>.png`, imported without it), when there are any. */
export type VideoUploadRead = Omit<Schemas["VideoUploadRead"], "link_job"> & {
  link_job: JobRead | null;
};

export type ExtractRequest = Schemas["ExtractFramesRequest"];
export type ExtractMethod = ExtractRequest["method"];

export type AddFramesResult = Schemas["AddFramesResult"];

export const RESULT_FORMATS = [
  { fmt: "csv", label: "DeepLabCut CSV" },
  { fmt: "h5", label: "DeepLabCut HDF5" },
  { fmt: "slp", label: "SLEAP .slp" },
  { fmt: "json", label: "JSON" },
] as const;

export class VideoApi {
  constructor(private readonly client: ApiClient) {}

  list(projectId: number): Promise<VideoRead[]> {
    return this.client.request("GET", `/projects/${projectId}/videos`);
  }
  get(videoId: number): Promise<VideoRead> {
    return this.client.request("GET", `/videos/${videoId}`);
  }
  remove(videoId: number): Promise<void> {
    return this.client.request("DELETE", `/videos/${videoId}`);
  }
  extract(videoId: number, body: ExtractRequest): Promise<JobRead> {
    return this.client.request("POST", `/videos/${videoId}/extract-frames`, body);
  }
  /** Link the project's images that say they are this video's frames (and are). */
  link(videoId: number): Promise<JobRead> {
    return this.client.request("POST", `/videos/${videoId}/link-frames`);
  }
  predict(videoId: number, everyNth: number): Promise<JobRead> {
    return this.client.request("POST", `/videos/${videoId}/predictions`, { every_nth: everyNth });
  }
  addFrames(videoId: number, frameIndices: number[]): Promise<AddFramesResult> {
    return this.client.request("POST", `/videos/${videoId}/frames`, {
      frame_indices: frameIndices,
    });
  }
  job(jobId: number): Promise<JobRead> {
    return this.client.request("GET", `/jobs/${jobId}`);
  }
  cancel(jobId: number): Promise<JobRead> {
    return this.client.request("POST", `/jobs/${jobId}/cancel`);
  }
  frameUrl(videoId: number, index: number): string {
    return `${this.client.base}/videos/${videoId}/frames/${index}`;
  }
  resultUrl(jobId: number, fmt: string): string {
    return `${this.client.base}/jobs/${jobId}/video-results/${fmt}`;
  }

  /** POST the file with upload progress (`onProgress(fraction)`); resolves with the video. */
  upload(
    projectId: number,
    file: File,
    onProgress: (fraction: number) => void,
  ): Promise<VideoUploadRead> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${this.client.base}/projects/${projectId}/videos`);
      const csrf = this.client.csrfToken();
      if (csrf) xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new Error("the upload was interrupted (network error)"));
      xhr.onload = () => {
        const data = parseJson(xhr.responseText);
        if (xhr.status === 201) resolve(data as VideoUploadRead);
        else
          reject(new ApiError(xhr.status, `http_${xhr.status}`, detailOf(data, xhr.status), data));
      };
      const form = new FormData();
      form.append("file", file, file.name);
      xhr.send(form);
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function detailOf(data: unknown, status: number): string {
  if (
    typeof data === "object" &&
    data !== null &&
    typeof (data as { detail?: unknown }).detail === "string"
  ) {
    return (data as { detail: string }).detail;
  }
  return status === 413
    ? "the video is larger than the server accepts"
    : `upload failed (HTTP ${status})`;
}

/** "01:02.50": minutes, seconds and hundredths (hours when needed). */
export function formatTime(seconds: number): string {
  const total = Math.max(0, seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = (total % 60).toFixed(2).padStart(5, "0");
  const mm = String(minutes).padStart(2, "0");
  return hours > 0 ? `${hours}:${mm}:${secs}` : `${mm}:${secs}`;
}

/** "frame 123 · 00:04.10" for frame `index` of a video at `fps`. */
export function frameLabel(index: number, fps: number): string {
  return `frame ${index} · ${formatTime(index / fps)}`;
}

/** The frame `delta` away from `index`, kept inside the video (null when already at the edge). */
export function neighbourFrame(index: number, delta: number, frameCount: number): number | null {
  const next = Math.min(frameCount - 1, Math.max(0, index + delta));
  return next === index ? null : next;
}

/** One line for a running video job: what it is doing and how far. */
export function videoJobText(job: JobRead): string {
  const p = job.progress as Record<string, unknown>;
  if (job.state === "queued") return "Waiting for a worker…";
  if (job.state === "failed") return `Failed: ${job.error ?? "unknown error"}`;
  if (job.state === "cancelled") return "Cancelled.";
  if (job.kind === "predict_video") {
    const done = Number(p.predicted ?? 0);
    const total = Number(p.to_predict ?? 0);
    if (job.state === "succeeded") return `Predicted ${done} frame(s).`;
    return total ? `Predicting frame ${done} of ${total}…` : "Loading the model…";
  }
  if (job.kind === "link_frames" && job.state === "succeeded") {
    return linkReportText(p.report as LinkReport | undefined);
  }
  const report = p.report as { created?: number; already_present?: number } | undefined;
  if (job.state === "succeeded" && report) {
    const had = report.already_present ? `; ${report.already_present} already in the project` : "";
    return `Added ${report.created ?? 0} frame(s)${had}.`;
  }
  const phase = String(p.phase ?? "starting");
  const step = Number(p.step ?? 0);
  const total = Number(p.total ?? 0);
  return total ? `${phase} ${step} of ${total}…` : `${phase}…`;
}

/** `progress.report` of a `link_frames` job (docs/API.md). */
interface LinkReport {
  claimed: number;
  linked: number;
  not_linked: { reason: string; count: number; names: string[] }[];
}

/** "Linked 2 frame(s); not linked: 1 whose pixels differ from that frame's (cam1/img05.png)." */
export function linkReportText(report: LinkReport | undefined): string {
  if (!report) return "Done.";
  if (report.claimed === 0) return "No unlinked image is named as one of its frames.";
  const rest = report.not_linked.map(({ reason, count, names }) => {
    const more = count > names.length ? ` and ${count - names.length} more` : "";
    return `${count} ${reason} (${names.join(", ")}${more})`;
  });
  const why = rest.length ? `; not linked: ${rest.join("; ")}` : "";
  return `Linked ${report.linked} frame(s)${why}.`;
}

/** [done, total] of a running video job for its progress bar. */
export function videoJobFraction(job: JobRead): number {
  const p = job.progress as Record<string, unknown>;
  const done = Number(job.kind === "predict_video" ? p.predicted : p.step) || 0;
  const total = Number(job.kind === "predict_video" ? p.to_predict : p.total) || 0;
  if (job.state === "succeeded") return 1;
  return total ? Math.min(1, done / total) : 0;
}

export function isVideoFile(file: File): boolean {
  return (
    file.type.startsWith("video/") || /\.(mp4|m4v|mov|avi|mkv|webm|mpg|mpeg|wmv)$/i.test(file.name)
  );
}
