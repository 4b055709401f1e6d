/** Following an import job: start it (the POST answers with the job), poll it until it ends,
 * and show its progress bar and message, then its report. Used by the admin page's import and by "New project
 * from file". */
import { useState } from "preact/hooks";
import type { JobRead } from "../core/adminTypes";
import {
  duplicateText,
  importStatus,
  summarizeImport,
  type ImportResult,
  type ImportStatus,
} from "../core/transferApi";
import { errorText, transfer } from "./api";
import { usePoll } from "./usePoll";

const POLL_MS = 1000;

export interface ImportJob {
  /** null before the first start; the upload's refusal (4xx) is a "failed" status too. */
  status: ImportStatus | null;
  /** The files are being sent (no job yet). */
  uploading: boolean;
  /** Uploading, or the job is queued or running. */
  busy: boolean;
  start: (request: () => Promise<JobRead>) => Promise<void>;
  /** Follow a job started earlier (e.g. before the page was reloaded). */
  follow: (job: JobRead) => void;
}

/** `onEnd` is called once with the finished job (succeeded, failed or cancelled). */
export function useImportJob(onEnd?: (job: JobRead) => void): ImportJob {
  const [job, setJob] = useState<JobRead | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const status =
    refused !== null ? { state: "failed" as const, error: refused } : job && importStatus(job);
  const running = status?.state === "running";

  usePoll(
    async () => {
      if (!job) return;
      const next = await transfer.job(job.id).catch(() => null);
      if (!next) return;
      setJob(next);
      if (importStatus(next).state !== "running") onEnd?.(next);
    },
    POLL_MS,
    running,
  );

  const start = async (request: () => Promise<JobRead>) => {
    setJob(null);
    setRefused(null);
    setUploading(true);
    try {
      setJob(await request());
    } catch (err) {
      setRefused(errorText(err));
    } finally {
      setUploading(false);
    }
  };

  const follow = (existing: JobRead) => {
    setRefused(null);
    setJob(existing);
  };

  return { status, uploading, busy: uploading || running, start, follow };
}

/** The bar and message while the job runs; nothing before or after. */
export function ImportProgress({
  status,
  uploading,
}: {
  status: ImportStatus | null;
  uploading: boolean;
}) {
  if (uploading)
    return (
      <p class="muted import-progress" role="status">
        Uploading…
      </p>
    );
  if (status?.state !== "running") return null;
  const { step, total, text } = status;
  return (
    <div class="import-progress" role="status" aria-label="Import progress">
      <div
        class="progress"
        role="progressbar"
        aria-label="Import progress bar"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={step}
      >
        <div
          class="progress-bar"
          style={{ width: `${total ? Math.min(100, (100 * step) / total) : 0}%` }}
        />
      </div>
      <p class="muted">{text}</p>
    </div>
  );
}

/** The finished import's report: what was created and saved, each duplicate and what became
 * of its label, and each note (labeled frames without their image, images without a row...). */
export function ImportReport({ result }: { result: ImportResult }) {
  return (
    <div class="import-summary" role="status" aria-label="Import result">
      <p class="message">Imported: {summarizeImport(result)}.</p>
      {result.duplicates.length > 0 && (
        <details open={result.duplicates.length <= 5}>
          <summary>Duplicates (already in the project, not stored again)</summary>
          <ul aria-label="Duplicates">
            {result.duplicates.map((d) => (
              <li key={d.filename}>{duplicateText(d)}</li>
            ))}
          </ul>
        </details>
      )}
      {result.notes.length > 0 && (
        <ul class="import-notes" aria-label="Import notes">
          {result.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
