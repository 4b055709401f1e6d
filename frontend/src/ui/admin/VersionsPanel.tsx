/** Model versions: one row each (PCK@0.1 overall and per keypoint, data used, active), promote
 * or roll back, the label-efficiency curve (PCK against labeled images across versions) and,
 * beside it, the labeling effort per version (EffortPanel). */
import type { ChartData, ChartOptions } from "chart.js";
import { useMemo } from "preact/hooks";
import {
  type EfficiencyCurve,
  formatPck,
  labelEfficiencyCurves,
  pckLabel,
} from "../../core/adminCharts";
import type { LabelEfficiencyPoint, ModelVersionRead } from "../../core/adminTypes";
import type { ProjectRead } from "../../core/types";
import { ChartView } from "./Chart";
import { EffortPanel } from "./EffortPanel";
import { formatTime, seriesColor } from "./common";

export function VersionsPanel({
  project,
  versions,
  efficiency,
  onPromote,
}: {
  project: ProjectRead;
  versions: ModelVersionRead[];
  efficiency: LabelEfficiencyPoint[];
  onPromote: (v: ModelVersionRead) => Promise<void>;
}) {
  const names = project.keypoint_schema.keypoints.map((k) => k.name);
  const active = versions.find((v) => v.is_active);
  return (
    <section class="admin-section" id="versions" aria-labelledby="versions-title">
      <h2 id="versions-title">Model versions</h2>
      {versions.length === 0 ? (
        <p class="muted">No model version yet: start a retraining above.</p>
      ) : (
        <div class="table-scroll">
          <table class="admin-table" aria-label="Model versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Created</th>
                <th>Backbone</th>
                <th>Labeled</th>
                <th>Unlabeled</th>
                <th>{pckLabel(0.1, versions[0]?.metrics.normalizer)}</th>
                {names.map((n) => (
                  <th key={n} class="kp-col" title={`PCK@0.1 of ${n}`}>
                    {n}
                  </th>
                ))}
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.id} data-version-id={v.id} class={v.is_active ? "active-row" : ""}>
                  <td>v{v.number}</td>
                  <td>{formatTime(v.created_at)}</td>
                  <td>{v.backbone}</td>
                  <td>{v.labeled_count}</td>
                  <td>{v.unlabeled_count}</td>
                  <td class="num strong" title={pckLabel(0.1, v.metrics.normalizer)}>
                    {formatPck(v.metrics.pck)}
                  </td>
                  {names.map((n) => (
                    <td key={n} class="num">
                      {formatPck(v.metrics.per_keypoint?.[n])}
                    </td>
                  ))}
                  <td>
                    {v.is_active ? (
                      <span class="badge job-succeeded">active</span>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td>
                    {!v.is_active && (
                      <button
                        type="button"
                        onClick={() => void onPromote(v)}
                        aria-label={`${promoteVerb(v, active)} v${v.number}`}
                      >
                        {promoteVerb(v, active)}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="admin-grid">
        <div class="card">
          <h3>Label efficiency</h3>
          <p class="muted">
            Validation PCK@0.1 of each version against the labeled images it was trained on.
          </p>
          <EfficiencyChart curves={labelEfficiencyCurves(efficiency)} />
        </div>
        <EffortPanel projectId={project.id} refreshKey={versions} />
      </div>
    </section>
  );
}

function promoteVerb(v: ModelVersionRead, active: ModelVersionRead | undefined): string {
  return active && v.id < active.id ? "Roll back to" : "Promote";
}

function EfficiencyChart({ curves }: { curves: EfficiencyCurve[] }) {
  const data = useMemo<ChartData<"line", { x: number; y: number }[]>>(
    () => ({
      datasets: curves.map((c, i) => ({
        label: c.label,
        data: c.points.map((p) => ({ x: p.labeled, y: p.pck })),
        borderColor: seriesColor(i),
        backgroundColor: seriesColor(i),
        pointRadius: c.points.map((p) => (p.active ? 7 : 4)),
        pointStyle: c.points.map((p) => (p.active ? "rectRot" : "circle")),
      })),
    }),
    [curves],
  );
  // Room right of the last point, so the newest version is not drawn on the frame.
  const maxLabeled = Math.max(1, ...curves.flatMap((c) => c.points.map((p) => p.labeled)));
  const options = useMemo<ChartOptions<"line">>(
    () => ({
      scales: {
        x: {
          type: "linear",
          min: 0,
          suggestedMax: Math.ceil(maxLabeled * 1.1) + 1,
          ticks: { precision: 0 },
          title: { display: true, text: "labeled training images" },
        },
        y: { min: 0, max: 1, title: { display: true, text: "PCK@0.1" } },
      },
      plugins: { legend: { position: "bottom" } },
    }),
    [maxLabeled],
  );
  if (curves.length === 0)
    return <p class="muted chart-empty">No version with a validation PCK yet.</p>;
  return (
    <ChartView
      type="line"
      data={data}
      options={options}
      label="PCK against labeled images"
      testId="efficiency-chart"
    />
  );
}
