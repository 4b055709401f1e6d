/** The project itself: how labeling finishes an image. */
import { useState } from "preact/hooks";
import type { ProjectSettings } from "../../core/adminTypes";
import type { ProjectRead } from "../../core/types";
import { errorText } from "../api";
import { admin } from "./common";

export function ProjectPanel({ project, onProjectChange }: {
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
      </div>
    </section>
  );
}

function LabelingForm({ project, onSaved }: { project: ProjectRead; onSaved: (p: ProjectRead) => void }) {
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
        <input type="checkbox" checked={autoDone} onChange={(e) => setAutoDone(e.currentTarget.checked)} />
        Mark an image done as soon as every keypoint is placed (visible or occluded)
      </label>
      <p class="muted wide">Off, an image is done only when the annotator says so (D, or Enter for done and next).</p>
      <div><button type="submit">Save labeling settings</button> {status && <span role="status" class="muted">{status}</span>}</div>
    </form>
  );
}
