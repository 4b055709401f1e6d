/** The project itself: how labeling finishes an image, and deleting it. */
import { useState } from "preact/hooks";
import type { ProjectSettings } from "../../core/adminTypes";
import type { ProjectRead } from "../../core/types";
import { errorText } from "../api";
import { navigate } from "../router";
import { admin } from "./common";
import { ErrorLine } from "../Notices";

export function ProjectPanel({
  project,
  onProjectChange,
}: {
  project: ProjectRead;
  onProjectChange: (p: ProjectRead) => void;
}) {
  return (
    <section class="admin-section" id="project" aria-labelledby="project-title">
      <h2 id="project-title">Project</h2>
      <div class="admin-grid">
        <div class="card">
          <h3>Labeling</h3>
          <LabelingForm project={project} onSaved={onProjectChange} />
        </div>
        <div class="card danger-zone">
          <h3>Delete project</h3>
          <DeleteProject project={project} />
        </div>
      </div>
    </section>
  );
}

function LabelingForm({
  project,
  onSaved,
}: {
  project: ProjectRead;
  onSaved: (p: ProjectRead) => void;
}) {
  const settings = project.settings as unknown as ProjectSettings;
  const [autoDone, setAutoDone] = useState(settings.auto_done);
  const [status, setStatus] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      onSaved(await admin.updateSettings(project.id, { ...settings, auto_done: autoDone }));
      setStatus("Saved.");
    } catch (err) {
      setStatus(`Not saved: ${errorText(err)}`);
    }
  };
  return (
    <form class="form-grid" onSubmit={(e) => void save(e)} aria-label="Labeling settings">
      <label class="check wide">
        <input
          type="checkbox"
          checked={autoDone}
          onChange={(e) => setAutoDone(e.currentTarget.checked)}
        />
        Mark an image done as soon as every keypoint is placed (visible or occluded)
      </label>
      <p class="muted wide">
        Off, an image is done only when the annotator says so (D, or Enter for done and next).
      </p>
      <div>
        <button type="submit">Save labeling settings</button>{" "}
        {status && (
          <span role="status" class="muted">
            {status}
          </span>
        )}
      </div>
    </form>
  );
}

/** "Gull heads" and everything in it, named with its size, after typing its name. */
function DeleteProject({ project }: { project: ProjectRead }) {
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const { total, in_progress, done } = project.counts;
  const annotated = in_progress + done;
  const what = `${total} image${total === 1 ? "" : "s"} and the annotations of ${annotated} of them`;
  const remove = async (e: Event) => {
    e.preventDefault();
    try {
      await admin.deleteProject(project.id);
      navigate("/");
    } catch (err) {
      setError(`Not deleted: ${errorText(err)}`);
    }
  };
  if (!asking) {
    return (
      <>
        <p class="muted">
          Removes the project with its {what}, its model versions and predictions.
        </p>
        <button type="button" class="danger" onClick={() => setAsking(true)}>
          Delete project…
        </button>
      </>
    );
  }
  return (
    <form class="delete-project" aria-label="Delete project" onSubmit={(e) => void remove(e)}>
      <p role="alert">
        Delete <strong>{project.name}</strong> with its {what}? Model versions and predictions go
        too. This cannot be undone.
      </p>
      <label>
        Type the project name to confirm
        <input value={typed} autoFocus onInput={(e) => setTyped(e.currentTarget.value)} />
      </label>
      <div>
        <button type="submit" class="danger" disabled={typed !== project.name}>
          Delete {total} images for good
        </button>{" "}
        <button
          type="button"
          onClick={() => {
            setAsking(false);
            setTyped("");
          }}
        >
          Cancel
        </button>
      </div>
      <ErrorLine text={error} />
    </form>
  );
}
