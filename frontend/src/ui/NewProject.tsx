/** Creating a project (admins): from a form (name, keypoints in order, skeleton, flip pairs,
 * validation fraction), or from an annotation file whose keypoint schema it takes (an import
 * job, followed with a progress bar). Either way the app then opens the new project. */
import { useState } from "preact/hooks";
import { buildProjectCreate, type ProjectFormInput } from "../core/projectForm";
import { splitSelection, type PickedFile } from "../core/fileSelection";
import { TRANSFER_FORMATS, type TransferFormat } from "../core/transferApi";
import { api, errorText, transfer } from "./api";
import { FilePicker } from "./FilePicker";
import { ImportProgress, ImportReport, useImportJob } from "./ImportJob";
import { navigate } from "./router";

type Mode = "form" | "file" | null;

/** `onCreated`: a project was created from a file (its report is still shown), so the list
 * behind the dialog can show it. */
export function NewProject({ onCreated }: { onCreated?: () => void }) {
  const [mode, setMode] = useState<Mode>(null);
  const toggle = (m: Exclude<Mode, null>) => setMode(mode === m ? null : m);
  return (
    <section class="new-project" aria-label="Create a project">
      <div class="toolbar">
        <button type="button" aria-expanded={mode === "form"} onClick={() => toggle("form")}>
          New project
        </button>
        <button type="button" aria-expanded={mode === "file"} onClick={() => toggle("file")}>
          New project from file
        </button>
      </div>
      {mode === "form" && <NewProjectForm onCancel={() => setMode(null)} />}
      {mode === "file" && (
        <NewProjectFromFile onCancel={() => setMode(null)} onCreated={onCreated} />
      )}
    </section>
  );
}

function Errors({ errors }: { errors: string[] }) {
  if (errors.length === 0) return null;
  return (
    <div role="alert" class="error form-errors">
      {errors.length === 1 ? (
        <p>{errors[0]}</p>
      ) : (
        <ul>
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

const EMPTY: ProjectFormInput = {
  name: "",
  description: "",
  keypoints: "",
  skeleton: "",
  flipPairs: "",
  validationFraction: "0.2",
};

function NewProjectForm({ onCancel }: { onCancel: () => void }) {
  const [input, setInput] = useState<ProjectFormInput>(EMPTY);
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof ProjectFormInput) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setInput((f) => ({ ...f, [key]: value }));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const built = buildProjectCreate(input);
    if (!built.ok) {
      setErrors(built.errors);
      return;
    }
    setErrors([]);
    setBusy(true);
    try {
      const project = await api.createProject(built.body);
      navigate(`/projects/${project.id}`);
    } catch (err) {
      setErrors([`Not created: ${errorText(err)}`]);
      setBusy(false);
    }
  };

  return (
    <form
      class="card new-project-form"
      aria-label="New project"
      onSubmit={(e) => void submit(e)}
      noValidate
    >
      <h2>New project</h2>
      <label>
        Project name <input required maxLength={200} value={input.name} onInput={set("name")} />
      </label>
      <label>
        Description <input value={input.description} onInput={set("description")} />
      </label>
      <label>
        Keypoints
        <textarea
          rows={5}
          required
          value={input.keypoints}
          onInput={set("keypoints")}
          aria-describedby="kp-hint"
          placeholder={"eye_left\neye_right\nbeak"}
        />
        <span id="kp-hint" class="muted hint">
          One per line or comma-separated, in order.
        </span>
      </label>
      <label>
        Skeleton edges
        <textarea
          rows={4}
          value={input.skeleton}
          onInput={set("skeleton")}
          aria-describedby="skeleton-hint"
          placeholder={"eye_left-beak\neye_right-beak"}
        />
        <span id="skeleton-hint" class="muted hint">
          Optional; "a-b" per line.
        </span>
      </label>
      <label>
        Flip pairs
        <textarea
          rows={2}
          value={input.flipPairs}
          onInput={set("flipPairs")}
          aria-describedby="flip-hint"
          placeholder="eye_left-eye_right"
        />
        <span id="flip-hint" class="muted hint">
          Optional; left-right per line, swapped when an image is mirrored.
        </span>
      </label>
      <label>
        Validation fraction
        <input
          type="number"
          min={0}
          max={0.9}
          step={0.05}
          value={input.validationFraction}
          onInput={set("validationFraction")}
        />
      </label>
      <Errors errors={errors} />
      <div class="toolbar">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Creating…" : "Create project"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function NewProjectFromFile({
  onCancel,
  onCreated,
}: {
  onCancel: () => void;
  onCreated: (() => void) | undefined;
}) {
  const [fmt, setFmt] = useState<TransferFormat>("coco");
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<PickedFile[]>([]);
  const files = splitSelection(fmt, picked).kept;
  // The report stays on screen (duplicates, frames without images...) until the project is opened.
  const job = useImportJob((done) => {
    if (done.state === "succeeded") onCreated?.();
  });
  const status = job.status;
  const created = status?.state === "succeeded" ? status.result : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    await job.start(() => transfer.importAsNewProject(fmt, files, name.trim() || undefined));
  };

  const error =
    status?.state === "failed"
      ? `Not created, nothing was stored: ${status.error}`
      : status?.state === "cancelled"
        ? "Not created: the import was cancelled."
        : null;
  return (
    <form
      class="card new-project-form"
      aria-label="New project from file"
      onSubmit={(e) => void submit(e)}
    >
      <h2>New project from file</h2>
      <p class="muted">
        The keypoints and skeleton come from the file; its images and annotations are imported.
        Choose the files, a whole folder (a DeepLabCut project), or zips.
      </p>
      <label>
        Format
        <select value={fmt} onChange={(e) => setFmt(e.currentTarget.value as TransferFormat)}>
          {TRANSFER_FORMATS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Project name
        <input
          value={name}
          placeholder="default: the file's"
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <FilePicker
        kind={fmt}
        picked={picked}
        onPick={setPicked}
        disabled={job.busy || created !== null}
      />
      <ImportProgress status={status} uploading={job.uploading} />
      <Errors errors={error ? [error] : []} />
      {created && <ImportReport result={created} />}
      <div class="toolbar">
        {created ? (
          <button
            type="button"
            class="primary"
            onClick={() => navigate(`/projects/${created.project_id}`)}
          >
            Open the project
          </button>
        ) : (
          <button type="submit" class="primary" disabled={job.busy || files.length === 0}>
            {job.busy ? "Importing…" : "Create from file"}
          </button>
        )}
        <button type="button" onClick={onCancel}>
          {created ? "Close" : "Cancel"}
        </button>
      </div>
    </form>
  );
}
