import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ImageRead, ImageState, ProjectRead, Split, UserRead } from "../core/types";
import { leftOutText, pickedFromList, splitSelection } from "../core/fileSelection";
import { api, errorText } from "./api";
import { Header, Progress } from "./Header";
import { findNextImage } from "./nextImage";
import { canReview } from "./Review";
import { agreementApi } from "./SecondLabels";
import { linkClick, navigate } from "./router";
import type { VideoRead } from "../core/videoApi";
import { groupByVideo } from "../core/videoGroups";
import { VideoPanel } from "./video/VideoPanel";
import { ErrorLine, StatusLine } from "./Notices";

const STATES: ImageState[] = ["new", "predicted", "in_progress", "done"];
export const STATE_LABEL: Record<ImageState, string> = {
  new: "new",
  predicted: "predicted",
  in_progress: "in progress",
  done: "done",
};
const PAGE = 60;
const SEARCH_DELAY_MS = 250;

export function ProjectView({
  projectId,
  user,
  onLogout,
}: {
  projectId: number;
  user: UserRead;
  onLogout: () => void;
}) {
  const [project, setProject] = useState<ProjectRead | null>(null);
  const [images, setImages] = useState<ImageRead[]>([]);
  const [total, setTotal] = useState(0);
  const [state, setState] = useState<ImageState | "">("");
  const [split, setSplit] = useState<Split | "">("");
  const [search, setSearch] = useState(""); // as typed
  const [name, setName] = useState(""); // as searched, once typing pauses
  const [videoId, setVideoId] = useState<number | "">(""); // 0: images not from a video
  const [videos, setVideos] = useState<VideoRead[]>([]);
  const latest = useRef(0);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const [secondLabels, setSecondLabels] = useState(0); // images sent to this user for an agreement check
  // With videos and no video filter the grid is grouped by video, and pages come in that order.
  const grouped = videos.length > 0 && videoId === "";

  const load = useCallback(
    async (offset: number) => {
      const request = ++latest.current;
      try {
        const filter = {
          state: state || undefined,
          split: split || undefined,
          name,
          offset,
          limit: PAGE,
          videoId: videoId === "" ? undefined : videoId,
          byVideo: grouped,
        };
        const [p, page] = await Promise.all([
          api.getProject(projectId),
          api.listImages(projectId, filter),
        ]);
        if (request !== latest.current) return; // a newer search or filter answered or will
        setProject(p);
        setTotal(page.total);
        setImages((prev) => (offset === 0 ? page.items : [...prev, ...page.items]));
      } catch (e) {
        if (request === latest.current) setError(errorText(e));
      }
    },
    [projectId, state, split, name, videoId, grouped],
  );

  useEffect(() => {
    const timer = setTimeout(() => setName(search.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);

  // Handlers that reload after an await (an upload) call the load of the latest render: the
  // filter or the video grouping may have changed meanwhile, and a stale load would answer last.
  const latestLoad = useRef(load);
  latestLoad.current = load;

  useEffect(() => {
    void load(0);
  }, [load]);

  useEffect(() => {
    if (user.role === "viewer") return;
    agreementApi.myTasks(projectId).then(
      (tasks) => setSecondLabels(tasks.filter((t) => t.labeled_at === null).length),
      () => setSecondLabels(0), // an optional link: the page works without it
    );
  }, [projectId, user.role]);

  const upload = async (input: HTMLInputElement) => {
    // The API refuses the whole batch for one file that is not an image or a zip (an
    // index.json among 300 JPEGs): leave such files out here, and say which.
    const { kept, leftOut } = splitSelection("images", pickedFromList(input.files ?? []));
    const leftOutNote = leftOut.length ? ` ${leftOutText(leftOut)} (not images or zips).` : "";
    setMessage(null);
    setError(null);
    if (kept.length === 0) {
      if (leftOut.length)
        setError(
          `Nothing uploaded: none of these files is an image or a zip. ${leftOutText(leftOut)}.`,
        );
      input.value = "";
      return;
    }
    setUploading(true);
    try {
      const res = await api.uploadImages(
        projectId,
        kept.map((p) => p.file),
      );
      const dup = res.duplicates.length ? `, ${res.duplicates.length} duplicate(s) skipped` : "";
      const held = res.created.filter((i) => i.split === "validation").length;
      const split = held
        ? ` ${held} of them went to the validation split: labeled, they measure the model (PCK) and are never trained on.`
        : "";
      setMessage(`Uploaded ${res.created.length} image(s)${dup}.${split}${leftOutNote}`);
      await latestLoad.current(0);
    } catch (e) {
      setError(`Upload failed, nothing was stored: ${errorText(e)}`);
    } finally {
      setUploading(false);
      input.value = "";
    }
  };

  const start = async () => {
    const next = await findNextImage(projectId, null).catch((e: unknown) => {
      setError(errorText(e));
      return null;
    });
    if (next !== null) navigate(`/projects/${projectId}/images/${next}`);
    else setMessage("Every image is done.");
  };

  const counts = project?.counts;
  const nKeypoints = project?.keypoint_schema.keypoints.length ?? 0;
  return (
    <div class="page">
      <Header user={user} onLogout={onLogout}>
        <a href="/" onClick={linkClick}>
          Projects
        </a>{" "}
        / <strong>{project?.name ?? "…"}</strong>
      </Header>
      <main class="content">
        <section class="project-summary" aria-label="Progress">
          <h1>{project?.name}</h1>
          {counts && (
            <>
              <Progress done={counts.done} total={counts.total} label="Project progress" />
              <ul class="counts" aria-label="Image counts">
                {STATES.map((s) => (
                  <li key={s} class={`badge state-${s}`}>
                    {STATE_LABEL[s]}: {counts[s]}
                  </li>
                ))}
                <li class="badge">train: {counts.train}</li>
                <li class="badge">validation: {counts.validation}</li>
              </ul>
            </>
          )}
        </section>
        <section class="toolbar" aria-label="Image tools">
          <input
            type="search"
            class="image-search"
            placeholder="File name…"
            aria-label="Search file names"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
          <label>
            State
            <select
              value={state}
              onChange={(e) => setState(e.currentTarget.value as ImageState | "")}
            >
              <option value="">all</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {STATE_LABEL[s]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Split
            <select value={split} onChange={(e) => setSplit(e.currentTarget.value as Split | "")}>
              <option value="">all</option>
              <option value="train">train</option>
              <option value="validation">validation</option>
            </select>
          </label>
          {videos.length > 0 && (
            <label>
              Video
              <select
                value={String(videoId)}
                aria-label="Filter by video"
                onChange={(e) =>
                  setVideoId(e.currentTarget.value === "" ? "" : Number(e.currentTarget.value))
                }
              >
                <option value="">all images</option>
                <option value="0">not from a video</option>
                {videos.map((v) => (
                  <option key={v.id} value={String(v.id)}>
                    {v.original_name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {user.role !== "viewer" && (
            <label class="button upload">
              {uploading ? "Uploading…" : "Upload images"}
              <input
                type="file"
                multiple
                accept="image/*,.zip"
                aria-label="Upload images"
                disabled={uploading}
                onChange={(e) => void upload(e.currentTarget)}
              />
            </label>
          )}
          <button type="button" class="primary" onClick={() => void start()}>
            Start annotating
          </button>
          {secondLabels > 0 && (
            <a class="button" href={`/projects/${projectId}/second-labels`} onClick={linkClick}>
              Second labels ({secondLabels} to do)
            </a>
          )}
          {canReview(user) && (
            <a class="button" href={`/projects/${projectId}/review`} onClick={linkClick}>
              Review labels
            </a>
          )}
          {user.role === "admin" && (
            <a class="button" href={`/projects/${projectId}/admin`} onClick={linkClick}>
              Admin: model and data
            </a>
          )}
        </section>
        <VideoPanel
          projectId={projectId}
          canEdit={user.role !== "viewer"}
          onVideos={setVideos}
          onShowFrames={(id) => setVideoId(id)}
          onFramesAdded={() => void load(0)}
        />
        <StatusLine text={message} />
        <ErrorLine text={error} />
        <p class="muted">
          {total} image(s){state || split || name || videoId !== "" ? " match the filters" : ""}
          {typeof videoId === "number" &&
            videoId > 0 &&
            `, frames of ${videos.find((v) => v.id === videoId)?.original_name ?? "the video"} in video order`}
        </p>
        {grouped ? (
          groupByVideo(images, videos).map((group) => (
            <section key={group.key} class="image-group" aria-label={group.title}>
              <h3 class="image-group-title">
                {group.title} {group.summary && <span class="muted">{group.summary}</span>}
              </h3>
              <ImageGrid
                images={group.images}
                projectId={projectId}
                nKeypoints={nKeypoints}
                label={`Images of ${group.title}`}
              />
            </section>
          ))
        ) : (
          <ImageGrid images={images} projectId={projectId} nKeypoints={nKeypoints} label="Images" />
        )}
        {images.length < total && (
          <button type="button" onClick={() => void load(images.length)}>
            Load more
          </button>
        )}
      </main>
    </div>
  );
}

function ImageGrid({
  images,
  projectId,
  nKeypoints,
  label,
}: {
  images: readonly ImageRead[];
  projectId: number;
  nKeypoints: number;
  label: string;
}) {
  return (
    <ul class="image-grid" aria-label={label}>
      {images.map((img) => (
        <li key={img.id} class="image-card">
          <a
            href={`/projects/${projectId}/images/${img.id}`}
            onClick={linkClick}
            aria-label={`Open ${img.original_name}`}
          >
            <img src={api.thumbnailUrl(img.id)} alt="" loading="lazy" width={256} height={256} />
            <span class={`badge state-${img.state}`}>{STATE_LABEL[img.state]}</span>
            {img.reviewed_at && (
              <span class="badge reviewed" title="A reviewer accepted or corrected these labels">
                reviewed
              </span>
            )}
            <span class="image-name" title={img.original_name}>
              {img.original_name}
            </span>
            <span class="muted">
              {img.labeled_count}/{nKeypoints} · {img.split}
            </span>
            {img.frame_index != null && (
              <span class="muted frame-of">🎞 frame {img.frame_index}</span>
            )}
          </a>
        </li>
      ))}
    </ul>
  );
}
