/**
 * "Labeling effort": what the annotators' saves took, per model version whose predictions they
 * saw (or per day, or per annotator), for everyone or one annotator: keypoints accepted untouched, clicks and
 * active seconds per image. Beside the label-efficiency curve, it shows whether a better model
 * also means less work.
 */
import type { ChartData, ChartOptions } from "chart.js";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { EffortGroup, EffortReport, EffortRow } from "../../core/adminTypes";
import { effortLabel, effortSeries, percentText, secondsText } from "../../core/effortReport";
import { errorText } from "../api";
import { ChartView } from "./Chart";
import { admin } from "./common";
import { ErrorLine } from "../Notices";

const GROUP_NAMES: Record<EffortGroup, string> = {
  version: "model version",
  day: "day",
  annotator: "annotator",
};

export function EffortPanel({ projectId, refreshKey }: { projectId: number; refreshKey: unknown }) {
  const [group, setGroup] = useState<EffortGroup>("version");
  const [userId, setUserId] = useState<number | null>(null);
  const [report, setReport] = useState<EffortReport | null>(null);
  const [annotators, setAnnotators] = useState<EffortRow[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    admin
      .effort(projectId, group, userId)
      .then((r) => {
        if (cancelled) return;
        setReport(r);
        setError(null);
      })
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [projectId, group, userId, refreshKey]);
  // The filter's choices: everyone who saved with effort (not refetched per filter change).
  useEffect(() => {
    let cancelled = false;
    admin
      .effort(projectId, "annotator")
      .then((people) => !cancelled && setAnnotators(people.rows.filter((p) => p.user_id !== null)))
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [projectId, refreshKey]);

  return (
    <div class="card" id="effort" data-testid="effort-panel">
      <h3>Labeling effort</h3>
      <p class="muted">
        Per image, from the annotators' saves: keypoints saved as the model predicted them, clicks,
        and active seconds (page in front, pauses over 30 s left out).
      </p>
      <div class="effort-filters">
        <label>
          Group by{" "}
          <select
            aria-label="Group by"
            value={group}
            onChange={(e) => setGroup(e.currentTarget.value as EffortGroup)}
          >
            <option value="version">model version</option>
            <option value="day">day</option>
            <option value="annotator">annotator</option>
          </select>
        </label>{" "}
        <label>
          Annotator{" "}
          <select
            aria-label="Annotator"
            value={userId === null ? "" : String(userId)}
            onChange={(e) =>
              setUserId(e.currentTarget.value === "" ? null : Number(e.currentTarget.value))
            }
          >
            <option value="">everyone</option>
            {annotators.map((a) => (
              <option key={a.user_id} value={String(a.user_id)}>
                {a.email ?? "(deleted user)"}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorLine text={error} />
      {report && <EffortBody report={report} />}
    </div>
  );
}

function EffortBody({ report }: { report: EffortReport }) {
  const series = useMemo(() => effortSeries(report.rows), [report]);
  const data = useMemo<ChartData<"bar", (number | null)[], string>>(
    () => ({
      labels: series.labels,
      datasets: [
        {
          label: "accepted untouched (%)",
          data: series.acceptedPercent,
          backgroundColor: "#16a34a",
          yAxisID: "percent",
        },
        {
          label: "clicks / image",
          data: series.clicksPerImage,
          backgroundColor: "#2563eb",
          yAxisID: "amount",
        },
        {
          label: "seconds / image (median)",
          data: series.secondsPerImage,
          backgroundColor: "#d97706",
          yAxisID: "amount",
        },
      ],
    }),
    [series],
  );
  const options = useMemo<ChartOptions<"bar">>(
    () => ({
      scales: {
        percent: {
          type: "linear",
          position: "left",
          min: 0,
          max: 100,
          title: { display: true, text: "% accepted untouched" },
        },
        amount: {
          type: "linear",
          position: "right",
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          title: { display: true, text: "clicks, seconds" },
        },
      },
      plugins: { legend: { position: "bottom" } },
    }),
    [],
  );
  const unmeasured = report.unmeasured_saves > 0 && (
    <p class="muted" data-testid="unmeasured-saves">
      {report.unmeasured_saves === 1 ? "1 save" : `${report.unmeasured_saves} saves`} from API
      clients reported no effort (not counted).
    </p>
  );
  if (report.rows.length === 0) {
    return (
      <>
        <p class="muted chart-empty">No save with effort data yet: annotate in the browser.</p>
        {unmeasured}
      </>
    );
  }
  return (
    <>
      <ChartView
        type="bar"
        data={data}
        options={options}
        label={`Labeling effort per ${GROUP_NAMES[report.group]}`}
        testId="effort-chart"
      />
      <div class="table-scroll">
        <table class="admin-table compact" aria-label="Labeling effort">
          <thead>
            <tr>
              <th>{GROUP_NAMES[report.group]}</th>
              <th>images</th>
              <th>saves</th>
              <th title="Predicted keypoints saved as predicted (accepted, never moved)">
                accepted untouched
              </th>
              <th>clicks / image</th>
              <th title="Median, then mean">seconds / image</th>
              <th title="Keypoints placed by hand where the model predicted nothing">placed</th>
              <th title="Predictions corrected, or labels moved">moved</th>
            </tr>
          </thead>
          <tbody>
            {report.rows.map((r) => (
              <tr key={effortLabel(r)} data-effort-row={effortLabel(r)}>
                <td>{effortLabel(r)}</td>
                <td class="num">{r.images}</td>
                <td class="num">{r.saves}</td>
                <td
                  class="num"
                  data-cell="accepted"
                  title={`${r.accepted - r.accepted_revoked} of ${r.predicted}`}
                >
                  {percentText(r.accepted_untouched_fraction)}
                  {r.predicted > 0 && (
                    <span class="muted">
                      {" "}
                      ({Math.max(0, r.accepted - r.accepted_revoked)}/{r.predicted})
                    </span>
                  )}
                </td>
                <td class="num" data-cell="clicks">
                  {(Math.round(r.clicks_per_image * 10) / 10).toString()}
                </td>
                <td class="num" data-cell="seconds">
                  {secondsText(r.seconds_per_image_median)} ·{" "}
                  {secondsText(r.seconds_per_image_mean)}
                </td>
                <td class="num" data-cell="placed">
                  {r.placed}
                </td>
                <td class="num" data-cell="moved">
                  {r.moved}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {unmeasured}
    </>
  );
}
