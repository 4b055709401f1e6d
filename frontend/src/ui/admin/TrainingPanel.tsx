/** Training: jobs with live progress (loss per term, validation PCK), start with options,
 * cancel, and the retraining policy. The selected running job is polled every 1.5 s. */
import type { ChartData, ChartOptions } from "chart.js";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../../core/api";
import {
  formatPck,
  isActive,
  lossLabel,
  type TrainingForm,
  trainingOptions,
  trainingSeries,
} from "../../core/adminCharts";
import type { JobRead, ModelVersionRead } from "../../core/adminTypes";
import { lastSeq, mergeJobUpdate } from "../../core/jobProgress";
import { trainingProgress } from "../../core/trainingProgress";
import type { ProjectRead } from "../../core/types";
import { errorText } from "../api";
import { ChartView } from "./Chart";
import { admin, durationText, formatTime, seriesColor, usePoll } from "./common";
import { PolicyForm, StartForm } from "./TrainingForms";
import { ErrorLine } from "../Notices";

const POLL_MS = 1500; // the selected running job
const LIST_POLL_MS = 10_000; // the job list, for jobs started elsewhere
const TICK_FORMAT = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 2 });

export function TrainingPanel({
  project,
  versions,
  onProjectChange,
  onTrained,
}: {
  project: ProjectRead;
  /** For the versions' per-project numbers ("v1"). */
  versions: readonly ModelVersionRead[];
  onProjectChange: (p: ProjectRead) => void;
  onTrained: () => void;
}) {
  const [jobs, setJobs] = useState<JobRead[]>([]);
  const [selected, setSelected] = useState<JobRead | null>(null);
  const [error, setError] = useState<string | null>(null);

  const known = useRef<Set<number> | null>(null);
  const loadJobs = useCallback(async () => {
    try {
      const list = await admin.listJobs(project.id, "train");
      // A job that appeared since the last look (started by the retraining policy or another
      // admin) is what the model is doing now: show it.
      const fresh =
        known.current === null
          ? undefined
          : list.find((j) => !known.current?.has(j.id) && isActive(j.state));
      known.current = new Set(list.map((j) => j.id));
      setJobs(list);
      setSelected((current) => fresh ?? list.find((j) => j.id === current?.id) ?? list[0] ?? null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [project.id]);

  useEffect(() => {
    void loadJobs();
  }, [loadJobs]);

  const running = selected !== null && isActive(selected.state);
  usePoll(loadJobs, LIST_POLL_MS, !running);
  usePoll(
    async () => {
      if (!selected) return;
      const since = lastSeq(selected);
      const update = await admin.getJob(selected.id, since).catch(() => null);
      if (!update) return;
      const job = mergeJobUpdate(selected, update, since);
      setSelected(job);
      setJobs((list) => list.map((j) => (j.id === job.id ? job : j)));
      if (!isActive(job.state)) onTrained();
    },
    POLL_MS,
    running,
  );

  const start = async (form: TrainingForm) => {
    setError(null);
    try {
      const job = await admin.startTraining(project.id, trainingOptions(form));
      known.current?.add(job.id);
      setJobs((list) => [job, ...list]);
      setSelected(job);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setError(`A training job is already queued or running: ${e.detail}`);
        await loadJobs();
      } else setError(errorText(e));
    }
  };

  const cancel = async (job: JobRead) => {
    try {
      setSelected(await admin.cancelJob(job.id));
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section class="admin-section" id="training" aria-labelledby="training-title">
      <h2 id="training-title">Training</h2>
      <ErrorLine text={error} />
      <div class="admin-grid">
        <div class="card">
          <h3>Retrain now</h3>
          <StartForm busy={jobs.some((j) => isActive(j.state))} onStart={start} />
        </div>
        <div class="card">
          <h3>Retraining policy</h3>
          <PolicyForm project={project} onSaved={onProjectChange} />
        </div>
      </div>
      {selected ? (
        <JobDetail job={selected} onCancel={cancel} />
      ) : (
        <p class="muted">No training job yet.</p>
      )}
      {jobs.length > 0 && (
        <table class="admin-table" aria-label="Training jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>State</th>
              <th>Created</th>
              <th>Duration</th>
              <th>Options</th>
              <th>Version</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr
                key={job.id}
                class={job.id === selected?.id ? "selected" : ""}
                onClick={() => setSelected(job)}
              >
                <td>
                  <button type="button" class="link" onClick={() => setSelected(job)}>
                    #{job.id}
                  </button>
                </td>
                <td>
                  <span class={`badge job-${job.state}`}>{job.state}</span>
                </td>
                <td>{formatTime(job.created_at)}</td>
                <td>{durationText(job.started_at, job.finished_at)}</td>
                <td class="muted">{optionsText(job.options)}</td>
                <td>{versionLabel(versions, job.progress.model_version_id)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function versionLabel(versions: readonly ModelVersionRead[], id: number | undefined): string {
  if (typeof id !== "number") return "—";
  const number = versions.find((v) => v.id === id)?.number;
  return number === undefined ? "…" : `v${number}`;
}

function optionsText(options: Record<string, unknown>): string {
  const shown = [
    "backbone",
    "input_size",
    "max_steps",
    "max_minutes",
    "batch_size",
    "semi_supervised",
  ];
  const parts = shown
    .filter((k) => options[k] !== null && options[k] !== undefined)
    .map((k) => `${k}=${String(options[k])}`);
  if (options.trigger === "policy") parts.unshift("automatic");
  return parts.join(", ");
}

function JobDetail({ job, onCancel }: { job: JobRead; onCancel: (j: JobRead) => Promise<void> }) {
  const series = useMemo(() => trainingSeries(job.progress.history), [job.progress.history]);
  const lossData = useMemo<ChartData<"line", (number | null)[], number>>(
    () => ({
      labels: series.steps,
      datasets: series.losses.map((l, i) => ({
        label: lossLabel(l.name),
        data: l.values,
        borderColor: seriesColor(i),
        backgroundColor: seriesColor(i),
        borderWidth: l.name === "total" ? 2.5 : 1.5,
        pointRadius: series.steps.length > 40 ? 0 : 2,
        spanGaps: true,
      })),
    }),
    [series],
  );
  const positive = series.losses.every((l) => l.values.every((v) => v === null || v > 0));
  const lossOptions = useMemo<ChartOptions<"line">>(
    () => ({
      scales: {
        x: { type: "linear", ticks: { precision: 0 }, title: { display: true, text: "step" } },
        y: {
          type: positive ? "logarithmic" : "linear",
          title: { display: true, text: positive ? "loss (log scale)" : "loss" },
          ticks: { callback: (value) => TICK_FORMAT.format(Number(value)) },
        },
      },
      plugins: { legend: { position: "bottom" } },
    }),
    [positive],
  );
  const pckData = useMemo<ChartData<"line", { x: number; y: number }[]>>(
    () => ({
      datasets: [
        {
          label: "validation PCK",
          data: series.pck.map((p) => ({ x: p.step, y: p.pck })),
          borderColor: "#16a34a",
          backgroundColor: "#16a34a",
          pointRadius: 3,
        },
      ],
    }),
    [series],
  );
  const totalSteps = series.last?.total ?? 0;
  const pckOptions = useMemo<ChartOptions<"line">>(
    () => ({
      scales: {
        x: {
          type: "linear",
          min: 0,
          suggestedMax: totalSteps,
          ticks: { precision: 0 },
          title: { display: true, text: "step" },
        },
        y: { min: 0, max: 1, title: { display: true, text: "PCK" } },
      },
      plugins: { legend: { position: "bottom" } },
    }),
    [totalSteps],
  );
  const last = series.last;
  const total = last?.total ?? (typeof job.progress.total === "number" ? job.progress.total : 0);
  const step = last?.step ?? 0;
  const lastPck = series.pck[series.pck.length - 1]?.pck;
  const versionPck = typeof job.progress.pck === "number" ? job.progress.pck : null;
  const view = trainingProgress(job, step, total, Date.now());
  return (
    <div
      class="card job-detail"
      aria-label={`Job ${job.id}`}
      data-job-id={job.id}
      data-state={job.state}
      data-step={step}
    >
      <div class="job-head">
        <h3>Job #{job.id}</h3>
        <span class={`badge job-${job.state}`} data-testid="job-state">
          {job.state}
        </span>
        {job.progress.phase && <span class="muted">phase: {job.progress.phase}</span>}
        <span class="muted" data-testid="job-step">
          {view.text}
        </span>
        {lastPck !== undefined && <span class="muted">last val PCK {formatPck(lastPck)}</span>}
        <span class="spacer" />
        {isActive(job.state) && (
          <button
            type="button"
            class="danger"
            disabled={job.cancel_requested}
            onClick={() => void onCancel(job)}
          >
            {job.cancel_requested ? "Cancelling…" : "Cancel"}
          </button>
        )}
      </div>
      <div
        class="progress"
        role="progressbar"
        aria-label="Training progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(view.fraction * 100)}
        aria-valuetext={view.text}
      >
        <div class="progress-bar" style={{ width: `${Math.round(view.fraction * 100)}%` }} />
      </div>
      {job.options.trigger === "policy" && (
        <p class="muted job-reason" data-testid="job-reason">
          Started automatically by the retraining policy
          {typeof job.options.reason === "string" ? `: ${job.options.reason}` : ""}.
        </p>
      )}
      {job.error && <p class="error">{job.error}</p>}
      <div class="admin-grid">
        <div>
          <h4>Loss per term</h4>
          {series.steps.length ? (
            <ChartView
              type="line"
              data={lossData}
              options={lossOptions}
              label="Training loss per term"
              testId="loss-chart"
            />
          ) : (
            <p class="muted chart-empty">No steps reported yet.</p>
          )}
        </div>
        <div>
          <h4>Validation PCK over steps</h4>
          {series.pck.length ? (
            <ChartView
              type="line"
              data={pckData}
              options={pckOptions}
              label="Validation PCK over steps"
              testId="pck-chart"
            />
          ) : (
            <p class="muted chart-empty">
              {versionPck !== null
                ? `PCK of the new version on the validation images: ${formatPck(versionPck)} (evaluated after training; the run ended before a periodic validation step).`
                : "No validation step yet: it runs periodically and at the last step, on labeled validation images."}
            </p>
          )}
        </div>
      </div>
    </div>
  );
}
