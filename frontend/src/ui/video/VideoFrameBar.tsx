/**
 * In the annotator, for an image that is a video frame: the video's name, the frame number and
 * time, and stepping to neighbouring frames (±1, ±10) to judge an occluded paw; a neighbour can
 * be added to the project in one action (then it opens), or opened if it already is one.
 */
import { useEffect, useState } from "preact/hooks";
import type { ImageRead } from "../../core/types";
import { frameLabel, neighbourFrame, type VideoRead } from "../../core/videoApi";
import { errorText } from "../api";
import { navigate } from "../router";
import { videoApi } from "./videoClient";

const STEPS = [-10, -1, 1, 10];

export function VideoFrameBar({ image, canEdit }: { image: ImageRead; canEdit: boolean }) {
  const [video, setVideo] = useState<VideoRead | null>(null);
  const [shown, setShown] = useState<number | null>(null); // the neighbour on view, if any
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const videoId = image.video_id ?? null;
  const own = image.frame_index ?? null;

  useEffect(() => {
    setShown(null);
    setVideo(null);
    if (videoId !== null)
      void videoApi
        .get(videoId)
        .then(setVideo)
        .catch((e: unknown) => setError(errorText(e)));
  }, [videoId, image.id]);

  if (videoId === null || own === null) return null;
  const current = shown ?? own;
  const step = (delta: number) => {
    if (!video) return;
    const next = neighbourFrame(current, delta, video.frame_count);
    if (next !== null) setShown(next === own ? null : next);
  };
  const addShown = async () => {
    if (shown === null || !video) return;
    setBusy(true);
    setError(null);
    try {
      const res = await videoApi.addFrames(video.id, [shown]);
      const id = res.created[0]?.id ?? res.already_present[0]?.image_id;
      if (id !== undefined) navigate(`/projects/${image.project_id}/images/${id}`);
      else setError("That frame looks exactly like an image already in the project; not added.");
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="video-frame-bar" aria-label="Video frame">
      <span class="muted">
        🎞 <strong>{video?.original_name ?? "video"}</strong> ·{" "}
        {video ? frameLabel(own, video.fps) : `frame ${own}`}
      </span>
      <span class="video-steps" aria-label="Neighbour frames">
        {STEPS.map((d) => (
          <button
            key={d}
            type="button"
            disabled={!video}
            onClick={() => step(d)}
            aria-label={`${d > 0 ? "Forward" : "Back"} ${Math.abs(d)} frame${Math.abs(d) > 1 ? "s" : ""}`}
          >
            {d > 0 ? `+${d}` : d}
          </button>
        ))}
      </span>
      {error && (
        <span role="alert" class="error">
          {error}
        </span>
      )}
      {shown !== null && video && (
        <figure class="video-neighbour" aria-label="Neighbour frame">
          <img
            src={videoApi.frameUrl(video.id, shown)}
            alt={`Frame ${shown} of ${video.original_name}`}
          />
          <figcaption>
            {frameLabel(shown, video.fps)} ({shown - own > 0 ? "+" : ""}
            {shown - own} from this image){" "}
            {canEdit && (
              <button type="button" class="primary" disabled={busy} onClick={() => void addShown()}>
                Add this frame to the project
              </button>
            )}{" "}
            <button type="button" onClick={() => setShown(null)}>
              Close
            </button>
          </figcaption>
        </figure>
      )}
    </div>
  );
}
