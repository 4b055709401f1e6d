/** Dataset health: images per state and split, labels per keypoint (never / rarely labeled
 * flagged), and who annotated how much. */
import type { ChartData, ChartOptions } from "chart.js";
import { useMemo } from "preact/hooks";
import type { ProjectHealth } from "../../core/adminTypes";
import { ChartView } from "./Chart";

const STATES = ["new", "predicted", "in_progress", "done"] as const;

export function HealthPanel({ health }: { health: ProjectHealth | null }) {
  return (
    <section class="admin-section" id="health" aria-labelledby="health-title">
      <h2 id="health-title">Dataset health</h2>
      {health ? <HealthBody health={health} /> : <p class="muted">Loading…</p>}
    </section>
  );
}

function HealthBody({ health }: { health: ProjectHealth }) {
  const data = useMemo<ChartData<"bar", number[], string>>(
    () => ({
      labels: health.keypoints.map((k) => k.name),
      datasets: [
        {
          label: "visible",
          data: health.keypoints.map((k) => k.visible),
          backgroundColor: "#2563eb",
        },
        {
          label: "occluded",
          data: health.keypoints.map((k) => k.occluded),
          backgroundColor: "#93c5fd",
        },
      ],
    }),
    [health],
  );
  const options = useMemo<ChartOptions<"bar">>(
    () => ({
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: "annotated images" } },
      },
      plugins: { legend: { position: "bottom" } },
    }),
    [],
  );
  const splits = Object.entries(health.splits);
  return (
    <div class="admin-grid">
      <div class="card">
        <h3>Images</h3>
        <table class="admin-table compact" aria-label="Images per state">
          <thead>
            <tr>
              <th>total</th>
              {STATES.map((s) => (
                <th key={s}>{s.replace("_", " ")}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>{health.counts.total}</td>
              {STATES.map((s) => (
                <td key={s}>{health.counts[s]}</td>
              ))}
            </tr>
          </tbody>
        </table>
        <table class="admin-table compact" aria-label="Images per split">
          <thead>
            <tr>
              <th>split</th>
              <th>images</th>
              <th>annotated</th>
              <th>done</th>
            </tr>
          </thead>
          <tbody>
            {splits.map(([name, c]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{c.images}</td>
                <td>{c.annotated}</td>
                <td>{c.done}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {(health.splits.validation?.annotated ?? 0) === 0 && (
          <p class="warning">
            No annotated validation image: PCK cannot be measured. Annotate some validation images.
          </p>
        )}
        <h3>Annotators</h3>
        {health.annotators.length === 0 ? (
          <p class="muted">Nobody has saved an annotation yet.</p>
        ) : (
          <table class="admin-table compact" aria-label="Annotations per annotator">
            <thead>
              <tr>
                <th>annotator</th>
                <th>images (last saved)</th>
                <th>done</th>
                <th>saves</th>
              </tr>
            </thead>
            <tbody>
              {health.annotators.map((a) => (
                <tr key={a.user_id ?? "deleted"}>
                  <td>{a.email ?? "(deleted user)"}</td>
                  <td>{a.annotations}</td>
                  <td>{a.done}</td>
                  <td>{a.revisions}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div class="card">
        <h3>Labels per keypoint</h3>
        <ChartView
          type="bar"
          data={data}
          options={options}
          label="Labels per keypoint"
          testId="coverage-chart"
        />
        {health.never_labeled.length > 0 && (
          <p class="warning" data-testid="never-labeled">
            Never labeled: {health.never_labeled.join(", ")}
          </p>
        )}
        {health.rarely_labeled.length > 0 && (
          <p class="warning" data-testid="rarely-labeled">
            Rarely labeled (under {Math.round(100 * health.rare_fraction)}% of annotated images):{" "}
            {health.rarely_labeled.join(", ")}
          </p>
        )}
      </div>
    </div>
  );
}
