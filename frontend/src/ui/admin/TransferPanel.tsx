/** Import / export: bring COCO, DeepLabCut, CVAT, SLEAP, Label Studio or YOLO pose files into
 * this project (a job with a progress bar; one transaction: an error stores nothing), and
 * download the project in any of those formats. */
import { useEffect, useState } from "preact/hooks";
import { isActive } from "../../core/adminCharts";
import { splitSelection, type PickedFile } from "../../core/fileSelection";
import {
  SCORER_PATTERN,
  TRANSFER_FORMATS,
  exportKind,
  type ExportOptions,
  type SleapVideo,
  type TransferFormat,
} from "../../core/transferApi";
import type { ImageState, ProjectRead, Split } from "../../core/types";
import { transfer } from "../api";
import { FilePicker } from "../FilePicker";
import { ImportProgress, ImportReport, useImportJob } from "../ImportJob";
import { admin } from "./common";

const STATES: ImageState[] = ["new", "predicted", "in_progress", "done"];

export function TransferPanel({
  project,
  onImported,
}: {
  project: ProjectRead;
  onImported: () => void;
}) {
  return (
    <section class="admin-section" id="transfer" aria-labelledby="transfer-title">
      <h2 id="transfer-title">Import / export</h2>
      <div class="admin-grid">
        <ImportCard project={project} onImported={onImported} />
        <ExportCard project={project} />
      </div>
    </section>
  );
}

function FormatSelect({
  value,
  onChange,
}: {
  value: TransferFormat;
  onChange: (f: TransferFormat) => void;
}) {
  return (
    <label>
      Format
      <select value={value} onChange={(e) => onChange(e.currentTarget.value as TransferFormat)}>
        {TRANSFER_FORMATS.map((f) => (
          <option key={f.value} value={f.value}>
            {f.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function ImportCard({ project, onImported }: { project: ProjectRead; onImported: () => void }) {
  const [fmt, setFmt] = useState<TransferFormat>("coco");
  const [picked, setPicked] = useState<PickedFile[]>([]);
  const [label, setLabel] = useState("");
  const files = splitSelection(fmt, picked).kept;
  const job = useImportJob((done) => {
    if (done.state === "succeeded") onImported();
  });
  const status = job.status;

  // An import keeps running when the page is left; coming back shows its progress again.
  useEffect(() => {
    let gone = false;
    void admin
      .listJobs(project.id, "import", 5)
      .then((list) => {
        const running = list.find((j) => isActive(j.state));
        if (running && !gone) job.follow(running);
      })
      .catch(() => undefined);
    return () => {
      gone = true;
    };
    // Once per project: `job` is a new object every render.
  }, [project.id]);

  const submit = async (e: Event) => {
    e.preventDefault();
    await job.start(() => transfer.importInto(project.id, fmt, files, label.trim() || undefined));
    setPicked([]);
  };

  return (
    <div class="card">
      <h3>Import into this project</h3>
      <p class="muted">
        The annotation file and its images, a folder (a DeepLabCut project), or zips holding them.
        Keypoints are matched to this project's by name; a mistake anywhere stores nothing.
      </p>
      <form class="form-grid" aria-label="Import" onSubmit={(e) => void submit(e)}>
        <FormatSelect value={fmt} onChange={setFmt} />
        <FilePicker kind={fmt} picked={picked} onPick={setPicked} disabled={job.busy} />
        <label>
          Category / label / individual (optional)
          <input
            value={label}
            placeholder="if several"
            onInput={(e) => setLabel(e.currentTarget.value)}
          />
        </label>
        <div>
          <button type="submit" class="primary" disabled={job.busy || files.length === 0}>
            {job.busy ? "Importing…" : "Import"}
          </button>
        </div>
      </form>
      <ImportProgress status={status} uploading={job.uploading} />
      {status?.state === "failed" && (
        <p role="alert" class="error transfer-error">
          Import failed, nothing was stored: {status.error}
        </p>
      )}
      {status?.state === "cancelled" && (
        <p role="alert" class="error transfer-error">
          Import cancelled, nothing was stored.
        </p>
      )}
      {status?.state === "succeeded" && <ImportReport result={status.result} />}
    </div>
  );
}

function ExportCard({ project }: { project: ProjectRead }) {
  const [fmt, setFmt] = useState<TransferFormat>("coco");
  const [state, setState] = useState<ImageState | "">("");
  const [split, setSplit] = useState<Split | "">("");
  const [reviewed, setReviewed] = useState(false);
  const [predictions, setPredictions] = useState(false);
  const [images, setImages] = useState(false);
  const [scorer, setScorer] = useState("");
  const [sleapVideo, setSleapVideo] = useState<SleapVideo>("embedded");
  const [dlcVideos, setDlcVideos] = useState(false);
  const coco = fmt === "coco";
  const options: ExportOptions = {
    state: state || undefined,
    split: split || undefined,
    reviewed,
    predictions,
    images,
    scorer,
    sleapVideo,
    dlcVideos,
  };
  const scorerValid = scorer.trim() === "" || new RegExp(`^${SCORER_PATTERN}$`).test(scorer.trim());
  const kind = exportKind(fmt, options);
  return (
    <div class="card">
      <h3>Export</h3>
      <p class="muted">
        {coco
          ? "COCO downloads the JSON alone, or a zip with the images."
          : "Downloads a zip in the tool's own layout, images included."}
      </p>
      <form class="form-grid" aria-label="Export" onSubmit={(e) => e.preventDefault()}>
        <FormatSelect value={fmt} onChange={setFmt} />
        <label>
          State
          <select
            value={state}
            onChange={(e) => setState(e.currentTarget.value as ImageState | "")}
          >
            <option value="">all</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")}
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
        <label class="check" title="images a reviewer accepted or corrected since their last edit">
          <input
            type="checkbox"
            checked={reviewed}
            onChange={(e) => setReviewed(e.currentTarget.checked)}
          />
          Reviewed images only
        </label>
        <label class="check" title={coco ? undefined : "COCO only"}>
          <input
            type="checkbox"
            checked={coco && predictions}
            disabled={!coco}
            onChange={(e) => setPredictions(e.currentTarget.checked)}
          />
          Model predictions instead of annotations
        </label>
        <label
          class="check"
          title={coco ? undefined : "the other formats always include the images"}
        >
          <input
            type="checkbox"
            checked={!coco || images}
            disabled={!coco}
            onChange={(e) => setImages(e.currentTarget.checked)}
          />
          Include image files
        </label>
        {fmt === "dlc" && (
          <label>
            Scorer (DeepLabCut)
            <input
              value={scorer}
              maxLength={64}
              pattern={SCORER_PATTERN}
              aria-invalid={!scorerValid}
              placeholder="as imported, else keyloop"
              title="letters, digits, _ . - (your DeepLabCut project's scorer, to merge the labels back)"
              onInput={(e) => setScorer(e.currentTarget.value)}
            />
          </label>
        )}
        {fmt === "dlc" && (
          <label
            class="check"
            title="the videos the exported frames come from, under videos/ where config.yaml names them, so DeepLabCut can analyze them as they are"
          >
            <input
              type="checkbox"
              checked={dlcVideos}
              onChange={(e) => setDlcVideos(e.currentTarget.checked)}
            />
            Include video files (DeepLabCut)
          </label>
        )}
        {fmt === "sleap" && (
          <label>
            Video frames (SLEAP)
            <select
              value={sleapVideo}
              onChange={(e) => setSleapVideo(e.currentTarget.value as SleapVideo)}
              title="frames taken from a video: embedded as PNG in labels.pkg.slp, or frame indices into the video file, zipped beside labels.slp"
            >
              <option value="embedded">embedded in the package (.pkg.slp)</option>
              <option value="video">frame indices into the video file (.slp + video)</option>
            </select>
          </label>
        )}
        <div>
          {scorerValid ? (
            <a class="button primary" href={transfer.exportUrl(project.id, fmt, options)} download>
              Download {kind === "json" ? "JSON" : "zip"}
            </a>
          ) : (
            <p role="alert" class="error">
              A scorer is letters, digits, _ . and - only.
            </p>
          )}
        </div>
      </form>
    </div>
  );
}
