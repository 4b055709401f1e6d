/** Evaluation of any version on the validation split at a chosen α: per-keypoint PCK bars, the
 * worst-predicted images (prediction vs ground truth), and the keypoint-embedding map. */
import type { ChartData, ChartOptions } from "chart.js";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import {
  embeddingGroups,
  fitImage,
  formatPck,
  isActive,
  meanErrorPx,
  pckLabel,
} from "../../core/adminCharts";
import type {
  EmbeddingRead,
  EvaluationSummary,
  ExampleImage,
  JobRead,
  ModelVersionRead,
} from "../../core/adminTypes";
import type { ProjectRead } from "../../core/types";
import { api, errorText } from "../api";
import { linkClick } from "../router";
import { ChartView } from "./Chart";
import { admin, formatTime, keypointColors, usePoll } from "./common";
import { ErrorLine } from "../Notices";

const ALPHAS = [0.05, 0.1, 0.15, 0.2, 0.3, 0.5];

export function EvaluationPanel({
  project,
  versions,
}: {
  project: ProjectRead;
  versions: ModelVersionRead[];
}) {
  const [versionId, setVersionId] = useState<number | null>(null);
  const [alpha, setAlpha] = useState(0.1);
  const [job, setJob] = useState<JobRead | null>(null);
  const [evaluations, setEvaluations] = useState<EvaluationSummary[]>([]);
  const [evaluationId, setEvaluationId] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (versionId !== null && versions.some((v) => v.id === versionId)) return;
    setVersionId((versions.find((v) => v.is_active) ?? versions[0])?.id ?? null);
  }, [versions, versionId]);

  const loadEvaluations = useCallback(async () => {
    if (versionId === null) return;
    try {
      const list = await admin.listEvaluations(project.id, versionId);
      setEvaluations(list);
      setEvaluationId(list[0]?.id ?? null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [project.id, versionId]);
  useEffect(() => {
    setEvaluations([]);
    setEvaluationId(null);
    void loadEvaluations();
  }, [loadEvaluations]);

  usePoll(
    async () => {
      if (!job) return;
      const latest = await admin.getJob(job.id).catch(() => null);
      if (!latest) return;
      setJob(latest);
      if (!isActive(latest.state)) {
        if (latest.state === "failed")
          setError(`Evaluation failed: ${latest.error ?? "unknown error"}`);
        await loadEvaluations();
      }
    },
    1500,
    job !== null && isActive(job.state),
  );

  const run = async () => {
    if (versionId === null) return;
    setError(null);
    try {
      setJob(await admin.evaluate(versionId, alpha));
    } catch (e) {
      setError(errorText(e));
    }
  };

  const evaluation = evaluations.find((e) => e.id === evaluationId) ?? null;
  return (
    <>
      <section class="admin-section" id="evaluation" aria-labelledby="evaluation-title">
        <h2 id="evaluation-title">Evaluation</h2>
        {versions.length === 0 ? (
          <p class="muted">Train a model version first.</p>
        ) : (
          <div class="toolbar">
            <label>
              Version
              <select
                aria-label="Version to evaluate"
                value={String(versionId ?? "")}
                onChange={(e) => setVersionId(Number(e.currentTarget.value))}
              >
                {versions.map((v) => (
                  <option key={v.id} value={String(v.id)}>
                    v{v.number}
                    {v.is_active ? " (active)" : ""} · {v.backbone} · {v.labeled_count} labeled
                  </option>
                ))}
              </select>
            </label>
            <label>
              α
              <select
                aria-label="PCK alpha"
                value={String(alpha)}
                onChange={(e) => setAlpha(Number(e.currentTarget.value))}
              >
                {ALPHAS.map((a) => (
                  <option key={a} value={String(a)}>
                    {a}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              class="primary"
              disabled={job !== null && isActive(job.state)}
              onClick={() => void run()}
            >
              Run evaluation
            </button>
            {job && (
              <span class={`badge job-${job.state}`} data-testid="evaluation-job">
                evaluation #{job.id}: {job.state}
              </span>
            )}
            {evaluations.length > 0 && (
              <label>
                Result
                <select
                  aria-label="Evaluation result"
                  value={String(evaluationId ?? "")}
                  onChange={(e) => setEvaluationId(Number(e.currentTarget.value))}
                >
                  {evaluations.map((ev) => (
                    <option key={ev.id} value={String(ev.id)}>
                      #{ev.id} · α={ev.alpha} · {formatTime(ev.created_at)}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
        )}
        <ErrorLine text={error} />
        {evaluation ? (
          <EvaluationResult project={project} evaluation={evaluation} />
        ) : (
          versions.length > 0 && <p class="muted">No evaluation of this version yet.</p>
        )}
      </section>
      <section class="admin-section" id="embeddings" aria-labelledby="embeddings-title">
        <h2 id="embeddings-title">Keypoint embeddings</h2>
        <p class="muted">
          t-SNE of the semantic keypoint representations z of the validation images, coloured by
          keypoint: distinct clusters mean the model tells keypoints apart.
        </p>
        {evaluation ? (
          <EmbeddingMap project={project} evaluationId={evaluation.id} />
        ) : (
          <p class="muted">Run an evaluation to compute the map.</p>
        )}
      </section>
    </>
  );
}

function EvaluationResult({
  project,
  evaluation,
}: {
  project: ProjectRead;
  evaluation: EvaluationSummary;
}) {
  const colors = keypointColors(project);
  const names = project.keypoint_schema.keypoints.map((k) => k.name);
  const perKeypoint = evaluation.per_keypoint;
  const data = useMemo<ChartData<"bar", (number | null)[], string>>(
    () => ({
      labels: names,
      datasets: [
        {
          label: `PCK@${evaluation.alpha}`,
          data: names.map((n) => perKeypoint[n] ?? null),
          backgroundColor: names.map((n) => colors.get(n) ?? "#888"),
        },
      ],
    }),
    [evaluation],
  );
  const options = useMemo<ChartOptions<"bar">>(
    () => ({
      scales: { y: { min: 0, max: 1, title: { display: true, text: `PCK@${evaluation.alpha}` } } },
      plugins: { legend: { display: false } },
    }),
    [evaluation],
  );
  return (
    <div class="admin-grid">
      <div class="card">
        <h3>
          {pckLabel(evaluation.alpha, evaluation.normalizer)}:{" "}
          <span data-testid="evaluation-pck">{formatPck(evaluation.pck)}</span>
        </h3>
        <p class="muted">
          {evaluation.count} labeled keypoints on {evaluation.image_count} validation images
          {evaluation.mean_error_px !== null &&
            ` · mean error ${evaluation.mean_error_px.toFixed(1)} px`}
        </p>
        <ChartView
          type="bar"
          data={data}
          options={options}
          label="PCK per keypoint"
          testId="per-keypoint-chart"
        />
      </div>
      <div class="card">
        <h3>Worst-predicted validation images</h3>
        <p class="legend muted">
          <span class="dot truth" /> ground truth <span class="dot pred" /> prediction, joined by
          the error (colour = keypoint)
        </p>
        {!evaluation.has_points && (
          <p class="muted">This evaluation stored no points; run a new one to see them.</p>
        )}
        <WorstExamples project={project} evaluationId={evaluation.id} />
      </div>
    </div>
  );
}

function WorstExamples({ project, evaluationId }: { project: ProjectRead; evaluationId: number }) {
  const [examples, setExamples] = useState<ExampleImage[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setExamples(null);
    admin.worstExamples(evaluationId, 6).then(setExamples, (e: unknown) => setError(errorText(e)));
  }, [evaluationId]);
  const colors = keypointColors(project);
  const names = project.keypoint_schema.keypoints.map((k) => k.name);
  if (error) return <p class="error">{error}</p>;
  if (examples === null) return <p class="muted">Loading…</p>;
  if (examples.length === 0)
    return <p class="muted">No labeled validation images in this evaluation.</p>;
  return (
    <ul class="worst-grid" aria-label="Worst-predicted images">
      {examples.map((ex) => (
        <ExampleFigure
          key={ex.image_id}
          example={ex}
          names={names}
          colors={colors}
          projectId={project.id}
        />
      ))}
    </ul>
  );
}

const BOX = 200;

function ExampleFigure({
  example,
  names,
  colors,
  projectId,
}: {
  example: ExampleImage;
  names: string[];
  colors: Map<string, string>;
  projectId: number;
}) {
  const fit = fitImage(example.width, example.height, BOX, BOX);
  const errorPx = meanErrorPx(example.true_xy, example.predicted_xy);
  const marks = names.map((name, i) => {
    const truth = example.true_xy?.[i] ?? null;
    const pred = example.predicted_xy?.[i] ?? null;
    return {
      name,
      color: colors.get(name) ?? "#fff",
      truth: truth && fit.imageToBox(truth),
      pred: pred && fit.imageToBox(pred),
    };
  });
  return (
    <li class="worst-item">
      <a
        href={`/projects/${projectId}/images/${example.image_id}`}
        onClick={linkClick}
        title={`Open ${example.original_name} in the annotator`}
      >
        <div class="worst-frame" style={{ width: `${fit.width}px`, height: `${fit.height}px` }}>
          <img
            src={api.viewUrl(example.image_id)}
            alt={example.original_name}
            width={fit.width}
            height={fit.height}
          />
          <svg width={fit.width} height={fit.height} aria-hidden="true">
            {marks.map(
              (m) =>
                m.truth &&
                m.pred && (
                  <line
                    key={`l-${m.name}`}
                    x1={m.truth[0]}
                    y1={m.truth[1]}
                    x2={m.pred[0]}
                    y2={m.pred[1]}
                    stroke={m.color}
                    stroke-width={1.5}
                    stroke-dasharray="3 2"
                  />
                ),
            )}
            {marks.map(
              (m) =>
                m.truth && (
                  <circle
                    key={`t-${m.name}`}
                    class="mark-truth"
                    cx={m.truth[0]}
                    cy={m.truth[1]}
                    r={4}
                    fill={m.color}
                    stroke="#fff"
                    stroke-width={1.5}
                  >
                    <title>{m.name} (truth)</title>
                  </circle>
                ),
            )}
            {marks.map(
              (m) =>
                m.pred && (
                  <g
                    key={`p-${m.name}`}
                    class="mark-pred"
                    transform={`translate(${m.pred[0]} ${m.pred[1]})`}
                  >
                    <path
                      d="M-5 -5 L5 5 M-5 5 L5 -5"
                      stroke="#000"
                      stroke-width={4}
                      stroke-linecap="round"
                    />
                    <path
                      d="M-5 -5 L5 5 M-5 5 L5 -5"
                      stroke={m.color}
                      stroke-width={2}
                      stroke-linecap="round"
                    />
                    <title>{m.name} (prediction)</title>
                  </g>
                ),
            )}
          </svg>
        </div>
      </a>
      <span class="worst-caption" title={example.original_name}>
        {example.original_name} · mean error {errorPx === null ? "—" : `${errorPx.toFixed(1)} px`}
      </span>
    </li>
  );
}

function EmbeddingMap({ project, evaluationId }: { project: ProjectRead; evaluationId: number }) {
  const [embedding, setEmbedding] = useState<EmbeddingRead | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setEmbedding(null);
    setError(null);
    admin.embedding(evaluationId).then(setEmbedding, (e: unknown) => setError(errorText(e)));
  }, [evaluationId]);
  const colors = keypointColors(project);
  const data = useMemo<ChartData<"scatter", { x: number; y: number }[]>>(
    () => ({
      datasets: embedding
        ? embeddingGroups(embedding).map((g) => ({
            label: g.keypoint,
            data: g.points.map((p) => ({ x: p.x, y: p.y })),
            backgroundColor: colors.get(g.keypoint) ?? "#888",
            borderColor: "#1d232b",
            borderWidth: 0.5,
            pointRadius: 4,
          }))
        : [],
    }),
    [embedding],
  );
  const options = useMemo<ChartOptions<"scatter">>(
    () => ({
      scales: {
        x: { display: false, min: -1.1, max: 1.1 },
        y: { display: false, min: -1.1, max: 1.1 },
      },
      plugins: { legend: { position: "right" } },
    }),
    [],
  );
  if (error) return <p class="muted">{error}</p>;
  if (!embedding) return <p class="muted">Loading…</p>;
  if (embedding.method === "failed")
    return (
      <p class="warning">The map could not be computed for this evaluation (see the worker log).</p>
    );
  return (
    <div class="card embedding-card">
      <p class="muted">
        {embedding.points.length} keypoints ·{" "}
        {embedding.method === "tsne" ? "t-SNE" : embedding.method.toUpperCase()}
      </p>
      <ChartView
        type="scatter"
        data={data}
        options={options}
        label="Keypoint embedding map"
        height={380}
        testId="embedding-chart"
      />
    </div>
  );
}
