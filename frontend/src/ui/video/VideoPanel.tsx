/**
 * The project page's videos: upload by drag-and-drop or file picker (with a progress bar),
 * the list, and per video the frame extraction, frame linking and whole-video prediction jobs
 * (progress, cancel, result downloads and the labeled preview to watch). An upload that starts
 * a link job (images imported before, named as its frames) shows it on the video's item.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import type { JobRead } from "../../core/adminTypes";
import {
  formatTime,
  isVideoFile,
  RESULT_FORMATS,
  videoJobFraction,
  videoJobText,
  type ExtractMethod,
  type VideoRead,
} from "../../core/videoApi";
import { errorText } from "../api";
import { usePoll } from "../usePoll";
import { videoApi } from "./videoClient";
import { ErrorLine } from "../Notices";

const POLL_MS = 1000;

export function VideoPanel({
  projectId,
  canEdit,
  onVideos,
  onShowFrames,
  onFramesAdded,
}: {
  projectId: number;
  canEdit: boolean;
  /** The list, whenever it is (re)loaded: the grid's video filter offers it. */
  onVideos: (videos: VideoRead[]) => void;
  onShowFrames: (videoId: number) => void;
  onFramesAdded: () => void;
}) {
  const [videos, setVideos] = useState<VideoRead[]>([]);
  // The link job an upload started, by video: shown on its item once the list reloads.
  const [linkJobs, setLinkJobs] = useState<Record<number, JobRead>>({});
  const [upload, setUpload] = useState<{ name: string; fraction: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);

  const reload = useCallback(async () => {
    const list = await videoApi.list(projectId).catch(() => []);
    setVideos(list);
    onVideos(list);
  }, [projectId, onVideos]);
  useEffect(() => void reload(), [reload]);

  const send = async (files: File[]) => {
    setError(null);
    for (const file of files) {
      if (!isVideoFile(file)) {
        setError(`${file.name}: not a video file`);
        continue;
      }
      setUpload({ name: file.name, fraction: 0 });
      try {
        const video = await videoApi.upload(projectId, file, (fraction) =>
          setUpload({ name: file.name, fraction }),
        );
        const linkJob = video.link_job;
        if (linkJob) setLinkJobs((held) => ({ ...held, [video.id]: linkJob }));
      } catch (e) {
        const text = errorText(e); // the server's message names the file already
        setError(text.startsWith(file.name) ? text : `${file.name}: ${text}`);
      }
    }
    setUpload(null);
    await reload();
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (canEdit) void send([...(e.dataTransfer?.files ?? [])]);
  };

  return (
    <section class="video-panel" aria-label="Videos">
      <h2>Videos</h2>
      {canEdit && (
        <div
          class={`video-drop ${dragging ? "dragging" : ""}`}
          aria-label="Drop videos here"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          Drop a video here (MP4, AVI, MOV, MKV) or{" "}
          <label class="button upload">
            choose one
            <input
              type="file"
              accept="video/*,.mkv,.avi"
              aria-label="Upload video"
              disabled={upload !== null}
              onChange={(e) => {
                const input = e.currentTarget;
                void send([...(input.files ?? [])]).finally(() => {
                  input.value = "";
                });
              }}
            />
          </label>
        </div>
      )}
      {upload && (
        <div class="import-progress" role="status" aria-label="Video upload">
          <div
            class="progress"
            role="progressbar"
            aria-label="Video upload progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(100 * upload.fraction)}
          >
            <div class="progress-bar" style={{ width: `${Math.round(100 * upload.fraction)}%` }} />
          </div>
          <p class="muted">
            {upload.fraction < 1
              ? `Uploading ${upload.name}… ${Math.round(100 * upload.fraction)}%`
              : `Checking ${upload.name}…`}
          </p>
        </div>
      )}
      <ErrorLine text={error} />
      <ul class="video-list" aria-label="Video list">
        {videos.map((v) => (
          <VideoItem
            key={v.id}
            video={v}
            canEdit={canEdit}
            linkJob={linkJobs[v.id] ?? null}
            onShowFrames={onShowFrames}
            onFramesAdded={() => {
              onFramesAdded();
              void reload();
            }}
          />
        ))}
      </ul>
    </section>
  );
}

function VideoItem({
  video,
  canEdit,
  linkJob,
  onShowFrames,
  onFramesAdded,
}: {
  video: VideoRead;
  canEdit: boolean;
  /** The link job its upload started, if any. */
  linkJob: JobRead | null;
  onShowFrames: (videoId: number) => void;
  onFramesAdded: () => void;
}) {
  const [open, setOpen] = useState<"extract" | "predict" | null>(null);
  const link = useVideoJob((j) => {
    if (j.state === "succeeded") onFramesAdded();
  }, linkJob);
  return (
    <li class="video-item" aria-label={`Video ${video.original_name}`}>
      <div class="video-head">
        <strong>{video.original_name}</strong>
        <span class="muted">
          {video.width}×{video.height} · {video.fps.toFixed(2)} fps · {video.frame_count} frames ·{" "}
          {formatTime(video.duration_s)} · {video.frame_images} in the project
        </span>
        <span class="spacer" />
        <button type="button" onClick={() => onShowFrames(video.id)}>
          Show its frames
        </button>
        {canEdit && (
          <>
            <button
              type="button"
              title="Link the project's images named as its frames (<stem>/img<N>.png, or a SLEAP package's <stem>_<NNNNNN>.png) whose pixels are those frames'"
              disabled={link.running}
              onClick={() => void link.start(() => videoApi.link(video.id))}
            >
              Link imported frames
            </button>
            <button
              type="button"
              aria-expanded={open === "extract"}
              onClick={() => setOpen(open === "extract" ? null : "extract")}
            >
              Extract frames…
            </button>
            <button
              type="button"
              aria-expanded={open === "predict"}
              onClick={() => setOpen(open === "predict" ? null : "predict")}
            >
              Predict video…
            </button>
          </>
        )}
      </div>
      <ErrorLine text={link.error} />
      {link.job && (
        <JobStatus job={link.job} running={link.running} onCancel={() => void link.cancel()} />
      )}
      {open === "extract" && <ExtractForm video={video} onDone={onFramesAdded} />}
      {open === "predict" && <PredictForm video={video} />}
    </li>
  );
}

/** Start a job (or follow one started elsewhere, `started`) until it ends, cancel it. */
function useVideoJob(onEnd?: (job: JobRead) => void, started: JobRead | null = null) {
  const [job, setJob] = useState<JobRead | null>(started);
  const [error, setError] = useState<string | null>(null);
  const running = job !== null && (job.state === "queued" || job.state === "running");
  usePoll(
    async () => {
      if (!job) return;
      const next = await videoApi.job(job.id).catch(() => null);
      if (!next) return;
      setJob(next);
      if (next.state !== "queued" && next.state !== "running") onEnd?.(next);
    },
    POLL_MS,
    running,
  );
  const start = async (request: () => Promise<JobRead>) => {
    setError(null);
    try {
      setJob(await request());
    } catch (e) {
      setError(errorText(e));
    }
  };
  const cancel = async () => {
    if (job) setJob(await videoApi.cancel(job.id).catch(() => job));
  };
  return { job, error, running, start, cancel };
}

function JobStatus({
  job,
  running,
  onCancel,
}: {
  job: JobRead;
  running: boolean;
  onCancel: () => void;
}) {
  const pct = Math.round(100 * videoJobFraction(job));
  return (
    <div class="import-progress" role="status" aria-label="Video job">
      {running && (
        <div
          class="progress"
          role="progressbar"
          aria-label="Video job progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
        >
          <div class="progress-bar" style={{ width: `${pct}%` }} />
        </div>
      )}
      <p class="muted">
        {videoJobText(job)}{" "}
        {running && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </p>
    </div>
  );
}

function ExtractForm({ video, onDone }: { video: VideoRead; onDone: () => void }) {
  const [method, setMethod] = useState<ExtractMethod>("kmeans");
  const [count, setCount] = useState(20);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const { job, error, running, start, cancel } = useVideoJob((j) => {
    if (j.state === "succeeded") onDone();
  });
  const submit = (e: Event) => {
    e.preventDefault();
    void start(() =>
      videoApi.extract(video.id, {
        method,
        count,
        start_s: from ? Number(from) : null,
        end_s: to ? Number(to) : null,
      }),
    );
  };
  return (
    <form class="video-form" aria-label="Extract frames" onSubmit={submit}>
      <label>
        Method
        <select value={method} onChange={(e) => setMethod(e.currentTarget.value as ExtractMethod)}>
          <option value="kmeans">k-means (varied frames)</option>
          <option value="uniform">uniform (evenly spaced)</option>
          <option value="uncertain">where the model is least sure</option>
        </select>
      </label>
      <label>
        Frames
        <input
          type="number"
          min={1}
          max={1000}
          value={count}
          onInput={(e) => setCount(Number(e.currentTarget.value))}
        />
      </label>
      <label>
        From (s)
        <input
          type="number"
          min={0}
          step="any"
          value={from}
          placeholder="start"
          onInput={(e) => setFrom(e.currentTarget.value)}
        />
      </label>
      <label>
        To (s)
        <input
          type="number"
          min={0}
          step="any"
          value={to}
          placeholder="end"
          onInput={(e) => setTo(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="primary" disabled={running}>
        Extract
      </button>
      <ErrorLine text={error} />
      {job && <JobStatus job={job} running={running} onCancel={() => void cancel()} />}
    </form>
  );
}

function PredictForm({ video }: { video: VideoRead }) {
  const [everyNth, setEveryNth] = useState(1);
  const { job, error, running, start, cancel } = useVideoJob();
  const submit = (e: Event) => {
    e.preventDefault();
    void start(() => videoApi.predict(video.id, everyNth));
  };
  return (
    <form class="video-form" aria-label="Predict video" onSubmit={submit}>
      <label>
        Every Nth frame
        <input
          type="number"
          min={1}
          max={10000}
          value={everyNth}
          onInput={(e) => setEveryNth(Number(e.currentTarget.value))}
        />
      </label>
      <button type="submit" class="primary" disabled={running}>
        Predict with the active model
      </button>
      <ErrorLine text={error} />
      {job && <JobStatus job={job} running={running} onCancel={() => void cancel()} />}
      {job?.state === "succeeded" && (
        <div class="video-results">
          <p>
            Download:{" "}
            {RESULT_FORMATS.map(({ fmt, label }) => (
              <a key={fmt} class="button" href={videoApi.resultUrl(job.id, fmt)} download>
                {label}
              </a>
            ))}
          </p>
          <video
            class="video-preview"
            controls
            preload="metadata"
            aria-label="Labeled preview"
            src={videoApi.resultUrl(job.id, "mp4")}
          />
        </div>
      )}
    </form>
  );
}
