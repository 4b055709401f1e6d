/** Agreement: send a random sample of labeled images to a second annotator (who labels them
 * blind), and the disagreement so far per keypoint and per annotator pair, like an
 * inter-rater table. */
import { useCallback, useEffect, useState } from "preact/hooks";
import {
  AgreementApi,
  eligibleAnnotators,
  formatNormalized,
  formatPx,
  type AgreementRead,
  type Disagreement,
} from "../../core/agreement";
import type { ProjectRead, UserRead } from "../../core/types";
import { api, errorText } from "../api";
import { admin } from "./common";
import { ErrorLine, StatusLine } from "../Notices";

const agreementApi = new AgreementApi(api);

export function AgreementPanel({ project }: { project: ProjectRead }) {
  const [report, setReport] = useState<AgreementRead | null>(null);
  const [users, setUsers] = useState<UserRead[]>([]);
  const [annotatorId, setAnnotatorId] = useState<number | "">("");
  const [count, setCount] = useState("10");
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const [r, u] = await Promise.all([agreementApi.report(project.id), admin.listUsers()]);
      setReport(r);
      setUsers(eligibleAnnotators(u));
    } catch (e) {
      setError(errorText(e));
    }
  }, [project.id]);
  useEffect(() => void refresh(), [refresh]);

  const send = async (e: Event) => {
    e.preventDefault();
    setMessage(null);
    setError(null);
    if (annotatorId === "") return setError("Choose the second annotator.");
    try {
      const result = await agreementApi.assign(project.id, annotatorId, Number(count));
      const who = users.find((u) => u.id === annotatorId)?.email ?? "the annotator";
      const fewer =
        result.assigned < result.requested ? ` (only ${result.assigned} were eligible)` : "";
      setMessage(`Sent ${result.assigned} image(s) to ${who}${fewer}.`);
      await refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section class="admin-section" id="agreement" aria-labelledby="agreement-title">
      <h2 id="agreement-title">Agreement</h2>
      <div class="card">
        <p class="muted">
          A second annotator labels a random sample of labeled images without seeing the first
          labels (their page: "Second labels" on the project). Images they labeled last are never
          sent to them.
        </p>
        <form class="form-grid" aria-label="Send a sample" onSubmit={(e) => void send(e)}>
          <label>
            Second annotator
            <select
              value={String(annotatorId)}
              onChange={(e) =>
                setAnnotatorId(e.currentTarget.value === "" ? "" : Number(e.currentTarget.value))
              }
            >
              <option value="">choose…</option>
              {users.map((u) => (
                <option key={u.id} value={String(u.id)}>
                  {u.email} ({u.role})
                </option>
              ))}
            </select>
          </label>
          <label>
            Images
            <input
              type="number"
              min={1}
              max={1000}
              value={count}
              onInput={(e) => setCount(e.currentTarget.value)}
            />
          </label>
          <button type="submit" class="primary">
            Send sample
          </button>
        </form>
        <StatusLine text={message} />
        <ErrorLine text={error} />
      </div>
      {report && (
        <div class="card">
          <p>
            {report.labeled} of {report.assigned} sent image(s) labeled a second time.
          </p>
          {report.labeled > 0 && (
            <>
              <h3>Per keypoint</h3>
              <table class="admin-table" aria-label="Disagreement per keypoint">
                <thead>
                  <tr>
                    <th>keypoint</th>
                    <Heads />
                  </tr>
                </thead>
                <tbody>
                  {report.keypoints.map((k) => (
                    <tr key={k.name}>
                      <td>{k.name}</td>
                      <Cells d={k} />
                    </tr>
                  ))}
                </tbody>
              </table>
              <h3>Per annotator pair</h3>
              <table class="admin-table" aria-label="Disagreement per annotator pair">
                <thead>
                  <tr>
                    <th>first</th>
                    <th>second</th>
                    <th>images</th>
                    <Heads />
                  </tr>
                </thead>
                <tbody>
                  {report.annotators.map((a) => (
                    <tr key={`${a.first_id ?? 0}-${a.second_id}`}>
                      <td>{a.first_email ?? "(unknown)"}</td>
                      <td>{a.second_email}</td>
                      <td>{a.images}</td>
                      <Cells d={a} />
                    </tr>
                  ))}
                </tbody>
              </table>
              <p class="muted">
                Distances where both labeled the keypoint; normalised by the image's ROI, else by
                the first labels' extent (longest side), as PCK is. "One only": labeled by one
                annotator and left unlabeled by the other.
              </p>
            </>
          )}
        </div>
      )}
    </section>
  );
}

function Heads() {
  return (
    <>
      <th>both labeled</th>
      <th>one only</th>
      <th>mean</th>
      <th>median</th>
      <th>mean normalised</th>
    </>
  );
}

function Cells({ d }: { d: Disagreement }) {
  return (
    <>
      <td>{d.pairs}</td>
      <td>{d.only_one}</td>
      <td>{formatPx(d.mean_px)}</td>
      <td>{formatPx(d.median_px)}</td>
      <td>{formatNormalized(d.mean_normalized)}</td>
    </>
  );
}
