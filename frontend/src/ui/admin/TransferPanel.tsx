/** Import / export: bring COCO, DeepLabCut, CVAT or SLEAP files into this project (one
 * transaction: an error stores nothing), and download the project in any of those formats. */
import { useRef, useState } from "preact/hooks";
import { TRANSFER_FORMATS, exportKind, summarizeImport, type ExportOptions, type ImportResult, type TransferFormat } from "../../core/transferApi";
import type { ImageState, ProjectRead, Split } from "../../core/types";
import { errorText, transfer } from "../api";

const STATES: ImageState[] = ["new", "predicted", "in_progress", "done"];

export function TransferPanel({ project, onImported }: { project: ProjectRead; onImported: () => void }) {
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

function FormatSelect({ value, onChange }: { value: TransferFormat; onChange: (f: TransferFormat) => void }) {
  return (
    <label>Format
      <select value={value} onChange={(e) => onChange(e.currentTarget.value as TransferFormat)}>
        {TRANSFER_FORMATS.map((f) => <option key={f.value} value={f.value}>{f.label}</option>)}
      </select>
    </label>
  );
}

function ImportCard({ project, onImported }: { project: ProjectRead; onImported: () => void }) {
  const [fmt, setFmt] = useState<TransferFormat>("coco");
  const [files, setFiles] = useState<File[]>([]);
  const [label, setLabel] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    setError(null);
    try {
      setResult(await transfer.importInto(project.id, fmt, files, label.trim() || undefined));
      setFiles([]);
      if (fileInput.current) fileInput.current.value = "";
      onImported();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="card">
      <h3>Import into this project</h3>
      <p class="muted">
        The annotation file and its images, or zips holding them. Keypoints are matched to this
        project's by name; a mistake anywhere stores nothing.
      </p>
      <form class="form-grid" aria-label="Import" onSubmit={(e) => void submit(e)}>
        <FormatSelect value={fmt} onChange={setFmt} />
        <label>Files
          <input ref={fileInput} type="file" multiple required disabled={busy}
            onChange={(e) => setFiles([...(e.currentTarget.files ?? [])])} />
        </label>
        <label>Category / label (optional)
          <input value={label} placeholder="if several" onInput={(e) => setLabel(e.currentTarget.value)} />
        </label>
        <div>
          <button type="submit" class="primary" disabled={busy || files.length === 0}>
            {busy ? "Importing…" : "Import"}
          </button>
        </div>
      </form>
      {error && (
        <p role="alert" class="error transfer-error">
          Import failed, nothing was stored: {error}
        </p>
      )}
      {result && <ImportSummary result={result} />}
    </div>
  );
}

function ImportSummary({ result }: { result: ImportResult }) {
  return (
    <div class="import-summary" role="status" aria-label="Import result">
      <p class="message">Imported: {summarizeImport(result)}.</p>
      {result.duplicates.length > 0 && (
        <details>
          <summary>Duplicates (already in the project, not stored again)</summary>
          <ul>
            {result.duplicates.map((d) => (
              <li key={d.filename}>
                {d.filename}: image {d.existing_image_id}, annotation {d.annotation}
              </li>
            ))}
          </ul>
        </details>
      )}
      {result.notes.length > 0 && (
        <ul class="muted" aria-label="Import notes">
          {result.notes.map((n, i) => <li key={i}>{n}</li>)}
        </ul>
      )}
    </div>
  );
}

function ExportCard({ project }: { project: ProjectRead }) {
  const [fmt, setFmt] = useState<TransferFormat>("coco");
  const [state, setState] = useState<ImageState | "">("");
  const [split, setSplit] = useState<Split | "">("");
  const [predictions, setPredictions] = useState(false);
  const [images, setImages] = useState(false);
  const coco = fmt === "coco";
  const options: ExportOptions = { state: state || undefined, split: split || undefined, predictions, images };
  const kind = exportKind(fmt, options);
  return (
    <div class="card">
      <h3>Export</h3>
      <p class="muted">
        {coco ? "COCO downloads the JSON alone, or a zip with the images." : "Downloads a zip in the tool's own layout, images included."}
      </p>
      <form class="form-grid" aria-label="Export" onSubmit={(e) => e.preventDefault()}>
        <FormatSelect value={fmt} onChange={setFmt} />
        <label>State
          <select value={state} onChange={(e) => setState(e.currentTarget.value as ImageState | "")}>
            <option value="">all</option>
            {STATES.map((s) => <option key={s} value={s}>{s.replace("_", " ")}</option>)}
          </select>
        </label>
        <label>Split
          <select value={split} onChange={(e) => setSplit(e.currentTarget.value as Split | "")}>
            <option value="">all</option>
            <option value="train">train</option>
            <option value="validation">validation</option>
          </select>
        </label>
        <label class="check" title={coco ? undefined : "COCO only"}>
          <input type="checkbox" checked={coco && predictions} disabled={!coco}
            onChange={(e) => setPredictions(e.currentTarget.checked)} />
          Model predictions instead of annotations
        </label>
        <label class="check" title={coco ? undefined : "the other formats always include the images"}>
          <input type="checkbox" checked={!coco || images} disabled={!coco}
            onChange={(e) => setImages(e.currentTarget.checked)} />
          Include image files
        </label>
        <div>
          <a class="button primary" href={transfer.exportUrl(project.id, fmt, options)} download>
            Download {kind === "json" ? "JSON" : "zip"}
          </a>
        </div>
      </form>
    </div>
  );
}
