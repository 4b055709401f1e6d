/**
 * `/projects/{id}/second-labels`: the images an admin sent you for an agreement check, labeled
 * blind: no first labels and no predictions are fetched or shown. Click places the selected
 * keypoint and selects the next; a keypoint you cannot see stays unlabeled (Clear). Enter saves
 * and opens the next image. Rules in `core/agreement.ts`.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import {
  AgreementApi,
  clearPoint,
  placePoint,
  startingPoints,
  type SecondLabelRead,
} from "../core/agreement";
import { colorsByName } from "../core/colors";
import type { Point, ProjectRead, UserRead } from "../core/types";
import { api, errorText } from "./api";
import { Header, ProjectCrumbs } from "./Header";
import { ErrorLine, StatusLine } from "./Notices";

export const agreementApi = new AgreementApi(api);

export function SecondLabels({
  projectId,
  user,
  onLogout,
}: {
  projectId: number;
  user: UserRead;
  onLogout: () => void;
}) {
  const [project, setProject] = useState<ProjectRead | null>(null);
  const [tasks, setTasks] = useState<SecondLabelRead[] | null>(null);
  const [taskId, setTaskId] = useState<number | null>(null);
  const [points, setPoints] = useState<Point[]>([]);
  const [selected, setSelected] = useState(0);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([api.getProject(projectId), agreementApi.myTasks(projectId)]).then(
      ([p, list]) => {
        setProject(p);
        setTasks(list);
        setTaskId(list.find((t) => t.labeled_at === null)?.id ?? list[0]?.id ?? null);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [projectId]);

  const names = project?.keypoint_schema.keypoints.map((k) => k.name) ?? [];
  const task = tasks?.find((t) => t.id === taskId) ?? null;
  useEffect(() => {
    if (!task || !project) return;
    setPoints(
      startingPoints(
        project.keypoint_schema.keypoints.map((k) => k.name),
        task,
      ),
    );
    setSelected(0);
  }, [taskId, project]); // reset only when another task opens, not after each save

  const save = async () => {
    if (!task || busy) return;
    setBusy(true);
    setError(null);
    try {
      const saved = await agreementApi.save(task.id, points);
      const updated = (tasks ?? []).map((t) => (t.id === saved.id ? saved : t));
      setTasks(updated);
      setMessage(`Saved ${saved.image_name}.`);
      const next = updated.find((t) => t.labeled_at === null);
      if (next) setTaskId(next.id);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const saveRef = useRef(save);
  saveRef.current = save;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Enter" && !(e.target instanceof HTMLButtonElement)) {
        e.preventDefault();
        void saveRef.current();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const colors = project
    ? colorsByName(project.keypoint_schema.keypoints)
    : new Map<string, string>();
  const open = tasks?.filter((t) => t.labeled_at === null).length ?? 0;
  return (
    <div class="page">
      <Header user={user} onLogout={onLogout}>
        <ProjectCrumbs projectId={projectId} project={project} page="Second labels" />
      </Header>
      <main class="content">
        <h1>Second labels</h1>
        <p class="muted">
          An admin sent you these images to measure how much two annotators agree. Label them as you
          see them: the first labels and the model's predictions are not shown.
        </p>
        <StatusLine text={message} />
        <ErrorLine text={error} />
        {tasks && tasks.length === 0 && <p>Nothing was sent to you in this project.</p>}
        {tasks && tasks.length > 0 && (
          <p aria-label="Second-label progress">
            {open} of {tasks.length} still to label
          </p>
        )}
        {task && project && (
          <section class="review-item" aria-label="Second label">
            <div class="review-view">
              <BlindImage
                task={task}
                points={points}
                colors={colors}
                onPlace={(x, y) => {
                  const placed = placePoint(points, selected, x, y);
                  setPoints(placed.points);
                  setSelected(placed.next);
                }}
              />
            </div>
            <div class="review-side">
              <h2>{task.image_name}</h2>
              <ul class="second-keypoints" role="listbox" aria-label="Keypoints to place">
                {points.map((p, k) => (
                  <li
                    key={p.name}
                    role="option"
                    aria-selected={k === selected}
                    data-name={p.name}
                    class={k === selected ? "selected" : ""}
                    onClick={() => setSelected(k)}
                  >
                    <span class="swatch" style={{ background: colors.get(p.name) }} /> {p.name}{" "}
                    <span class="muted">
                      {p.visibility === "unlabeled"
                        ? "not placed"
                        : `${p.x?.toFixed(0)}, ${p.y?.toFixed(0)}`}
                    </span>
                  </li>
                ))}
              </ul>
              <div class="review-actions">
                <button type="button" onClick={() => setPoints(clearPoint(points, selected))}>
                  Clear {names[selected]}
                </button>
                <button type="button" class="primary" disabled={busy} onClick={() => void save()}>
                  Save (Enter)
                </button>
              </div>
              <ul class="second-tasks" aria-label="Images sent to you">
                {tasks?.map((t) => (
                  <li key={t.id}>
                    <button
                      type="button"
                      aria-pressed={t.id === taskId}
                      onClick={() => setTaskId(t.id)}
                    >
                      {t.image_name} {t.labeled_at ? "✓" : ""}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          </section>
        )}
      </main>
    </div>
  );
}

function BlindImage({
  task,
  points,
  colors,
  onPlace,
}: {
  task: SecondLabelRead;
  points: Point[];
  colors: Map<string, string>;
  onPlace: (x: number, y: number) => void;
}) {
  const svg = useRef<SVGSVGElement>(null);
  const r = Math.max(task.width, task.height) * 0.012;
  const click = (e: MouseEvent) => {
    const ctm = svg.current?.getScreenCTM();
    if (!ctm) return;
    const pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
    if (pt.x < 0 || pt.y < 0 || pt.x > task.width || pt.y > task.height) return;
    onPlace(pt.x, pt.y);
  };
  return (
    <svg
      ref={svg}
      class="review-crop fixing"
      viewBox={`0 0 ${task.width} ${task.height}`}
      role="img"
      aria-label={`${task.image_name} to label`}
      onClick={click}
    >
      <image
        href={api.viewUrl(task.image_id)}
        x={0}
        y={0}
        width={task.width}
        height={task.height}
      />
      {points.map((p) =>
        p.x !== null && p.y !== null ? (
          <circle
            key={p.name}
            cx={p.x}
            cy={p.y}
            r={r}
            fill={colors.get(p.name) ?? "#fff"}
            stroke="#fff"
            stroke-width={r / 4}
          />
        ) : null,
      )}
    </svg>
  );
}
