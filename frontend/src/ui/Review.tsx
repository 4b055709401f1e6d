/**
 * `/projects/{id}/review` (reviewers and admins): the open suspect labels, worst first, one at a
 * time, cropped around the keypoint with the human label and the model's prediction overlaid.
 * Keys: A accept, S swap with the flip partner, F fix (click or drag, Enter saves), J/K or the
 * arrows walk. The walking rules are `core/reviewQueue.ts`; each decision is one
 * `POST /images/{id}/review`.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ConflictError } from "../core/api";
import { colorsByName } from "../core/colors";
import { ReviewApi, type Decision } from "../core/reviewApi";
import {
  cropAround,
  flipPartner,
  reasonTitle,
  ReviewQueue,
  reviewKeyAction,
  type XY,
} from "../core/reviewQueue";
import type { AnnotationRead, ImageRead, Point, ProjectRead, UserRead } from "../core/types";
import { api, errorText } from "./api";
import { Header, ProjectCrumbs } from "./Header";
import { linkClick } from "./router";
import { ErrorLine, StatusLine } from "./Notices";

const reviewApi = new ReviewApi(api);
const PAGE = 100;
const DONE_WORDS: Record<Decision, string> = { accept: "Accepted", fix: "Fixed", swap: "Swapped" };

export function canReview(user: UserRead): boolean {
  return user.role === "reviewer" || user.role === "admin";
}

interface Shown {
  image: ImageRead;
  annotation: AnnotationRead;
}

export function Review({
  projectId,
  user,
  onLogout,
}: {
  projectId: number;
  user: UserRead;
  onLogout: () => void;
}) {
  const [queue] = useState(() => new ReviewQueue()); // mutated in place; `redraw` re-renders
  const [, setTick] = useState(0);
  const redraw = () => setTick((t) => t + 1);
  const [project, setProject] = useState<ProjectRead | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [shown, setShown] = useState<Shown | null>(null);
  const [fixPoint, setFixPoint] = useState<XY | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const topUp = useCallback(async () => {
    queue.merge(await reviewApi.suspects(projectId, 0, PAGE));
    redraw();
  }, [projectId, queue]);

  useEffect(() => {
    Promise.all([api.getProject(projectId), topUp()]).then(
      ([p]) => {
        setProject(p);
        setLoaded(true);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [projectId, topUp]);

  const item = queue.current;
  const itemKey = item ? `${item.suspect.id}:${item.version}` : "";
  useEffect(() => {
    if (!item) return setShown(null);
    let live = true;
    setFixPoint(null);
    Promise.all([
      api.getImage(item.suspect.image_id),
      api.getAnnotation(item.suspect.image_id),
    ]).then(
      ([image, annotation]) => {
        if (!live) return;
        if (annotation.version !== item.version && item.decision === null) {
          setMessage(
            `${item.suspect.image_name} was saved by someone else since it was flagged; skipped.`,
          );
          queue.dropImage(item.suspect.image_id);
          return redraw();
        }
        setShown({ image, annotation });
      },
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [itemKey]); // the key names the item and the version it needs

  const allowed = canReview(user);
  const partner =
    item && project ? flipPartner(project.keypoint_schema, item.suspect.keypoint) : null;
  const ready =
    shown !== null && item !== null && shown.annotation.image_id === item.suspect.image_id;

  const decide = async (decision: Decision, keypoints?: Point[]) => {
    if (!item || busy || !ready) return;
    setBusy(true);
    setError(null);
    const { image_id: imageId, image_name: name, keypoint } = item.suspect;
    let refill = false;
    try {
      const body = {
        version: item.version,
        decision,
        keypoint,
        ...(keypoints ? { keypoints } : {}),
      };
      const saved = await reviewApi.review(imageId, body);
      queue.decide(decision, saved.annotation.version);
      setMessage(`${DONE_WORDS[decision]} ${keypoint} on ${name}.`);
      setFixPoint(null);
      refill = queue.undecided < 10;
    } catch (e) {
      if (e instanceof ConflictError) {
        queue.dropImage(imageId);
        setMessage(`${name} was saved by someone else meanwhile; its suspects were skipped.`);
      } else setError(errorText(e));
    } finally {
      setBusy(false);
      redraw();
    }
    // After the busy flag drops: the next suspect is on screen already and its keys must work
    // while the page is fetched (a key pressed then was silently ignored).
    if (refill) topUp().catch((e: unknown) => setError(errorText(e)));
  };

  const current = ready
    ? shown.annotation.keypoints.find((p) => p.name === item.suspect.keypoint)
    : undefined;
  const saveFix = () => {
    if (!fixPoint || !current) return;
    const visibility = current.visibility === "unlabeled" ? "visible" : current.visibility;
    void decide("fix", [{ ...current, x: fixPoint.x, y: fixPoint.y, visibility, source: "human" }]);
  };
  const startFix = () => {
    if (!item) return;
    const p = item.suspect.predicted;
    const from = p && p.x !== null && p.y !== null ? { x: p.x, y: p.y } : labelXY(current);
    setFixPoint(from ?? { x: (shown?.image.width ?? 0) / 2, y: (shown?.image.height ?? 0) / 2 });
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    const action = reviewKeyAction(e.key, { canSwap: partner !== null, fixing: fixPoint !== null });
    if (action === null) return;
    e.preventDefault();
    if (action === "accept") void decide("accept");
    else if (action === "swap") void decide("swap");
    else if (action === "fix") startFix();
    else if (action === "save-fix") saveFix();
    else if (action === "cancel-fix") setFixPoint(null);
    else if (action === "next" ? queue.next() : queue.previous()) redraw();
  };
  const keyHandler = useRef(onKey);
  keyHandler.current = onKey;
  useEffect(() => {
    const listener = (e: KeyboardEvent) => keyHandler.current(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  return (
    <div class="page">
      <Header user={user} onLogout={onLogout}>
        <ProjectCrumbs projectId={projectId} project={project} page="Review" />
      </Header>
      <main class="content review">
        <h1>Review suspect labels</h1>
        {!allowed && (
          <p role="alert" class="error">
            Reviewing needs the reviewer or admin role; you are {user.role}.
          </p>
        )}
        {loaded && allowed && (
          <p class="muted" aria-label="Review progress">
            {queue.decided} decided in this session · {queue.undecided} open
            {item && ` · suspect ${queue.position + 1} of ${queue.length}`}
          </p>
        )}
        <StatusLine text={message} />
        <ErrorLine text={error} />
        {loaded && allowed && !item && <p>No suspect labels are open: nothing to review.</p>}
        {loaded && item && queue.undecided === 0 && (
          <p>Every suspect is decided. J and K walk back through them.</p>
        )}
        {item && project && allowed && (
          <section class="review-item" aria-label="Suspect">
            <div class="review-view">
              {ready ? (
                <SuspectView
                  shown={shown}
                  keypoint={item.suspect.keypoint}
                  partner={partner}
                  predicted={item.suspect.predicted}
                  colors={colorsByName(project.keypoint_schema.keypoints)}
                  fixPoint={fixPoint}
                  onPlace={setFixPoint}
                />
              ) : (
                <p class="loading">Loading…</p>
              )}
            </div>
            <div class="review-side">
              <h2>
                <span data-testid="review-keypoint">{item.suspect.keypoint}</span> on{" "}
                {item.suspect.image_name}
              </h2>
              <p>
                Suspicion {Math.round(item.suspect.score * 100)} %
                {item.decision && (
                  <>
                    {" "}
                    · <strong>{DONE_WORDS[item.decision]}</strong>
                  </>
                )}
              </p>
              <ul class="review-reasons" aria-label="Reasons">
                {item.suspect.reasons.map((r, i) => (
                  <li key={i}>
                    <strong>{reasonTitle(r.kind)}.</strong> {r.detail}
                  </li>
                ))}
              </ul>
              <PointsTable
                label={labelXY(current)}
                predicted={item.suspect.predicted}
                fixPoint={fixPoint}
                color={
                  colorsByName(project.keypoint_schema.keypoints).get(item.suspect.keypoint) ??
                  "#ef4444"
                }
              />
              <div class="review-actions">
                <button
                  type="button"
                  disabled={busy || !ready || fixPoint !== null}
                  onClick={() => void decide("accept")}
                >
                  Accept (A)
                </button>
                <button
                  type="button"
                  disabled={busy || !ready || partner === null || fixPoint !== null}
                  onClick={() => void decide("swap")}
                  title={partner ? `Exchange with ${partner}` : "This keypoint has no flip pair"}
                >
                  Swap with {partner ?? "—"} (S)
                </button>
                {fixPoint === null ? (
                  <button type="button" disabled={busy || !ready} onClick={startFix}>
                    Fix (F)
                  </button>
                ) : (
                  <>
                    <button type="button" class="primary" disabled={busy} onClick={saveFix}>
                      Save fix (Enter)
                    </button>
                    <button type="button" onClick={() => setFixPoint(null)}>
                      Cancel (Esc)
                    </button>
                  </>
                )}
              </div>
              {fixPoint !== null && (
                <p class="muted">Click or drag on the image to place {item.suspect.keypoint}.</p>
              )}
              <div class="review-actions">
                <button type="button" onClick={() => queue.previous() && redraw()}>
                  Previous (K)
                </button>
                <button type="button" onClick={() => queue.next() && redraw()}>
                  Next (J)
                </button>
                <a
                  class="button"
                  href={`/projects/${projectId}/images/${item.suspect.image_id}`}
                  onClick={linkClick}
                >
                  Open in the annotator
                </a>
              </div>
            </div>
          </section>
        )}
      </main>
    </div>
  );
}

function cross(p: XY, arm: number): string {
  return `M ${p.x - arm} ${p.y} h ${arm * 2} M ${p.x} ${p.y - arm} v ${arm * 2}`;
}

function labelXY(p: Point | undefined): XY | null {
  return p && p.x !== null && p.y !== null ? { x: p.x, y: p.y } : null;
}

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

function fmt(p: { x: number | null; y: number | null } | null): string {
  return p && p.x !== null && p.y !== null ? `${p.x.toFixed(1)}, ${p.y.toFixed(1)}` : "—";
}

interface PointsProps {
  label: XY | null;
  predicted: { x: number | null; y: number | null } | null;
  fixPoint: XY | null;
  color: string;
}

function PointsTable({ label, predicted, fixPoint, color }: PointsProps) {
  const both = label && predicted && predicted.x !== null && predicted.y !== null;
  const distance = both
    ? Math.hypot(label.x - (predicted.x ?? 0), label.y - (predicted.y ?? 0))
    : null;
  return (
    <table class="review-points">
      <tbody>
        <tr>
          <th>
            <span class="legend-label" style={{ background: color }} /> Label
          </th>
          <td>{fmt(label)}</td>
        </tr>
        <tr>
          <th>
            <span class="legend-prediction" style={{ borderColor: color }} /> Prediction
          </th>
          <td>
            {fmt(predicted)}
            {distance !== null && ` (${distance.toFixed(1)} px away)`}
          </td>
        </tr>
        {fixPoint && (
          <tr>
            <th>
              <span class="legend-fix" /> New position
            </th>
            <td>{fmt(fixPoint)}</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

interface ViewProps {
  shown: Shown;
  keypoint: string;
  partner: string | null;
  predicted: { x: number | null; y: number | null } | null;
  colors: Map<string, string>;
  fixPoint: XY | null;
  onPlace: (xy: XY) => void;
}

/** The image cropped around the points (an SVG viewBox in image pixels, so markers and clicks
 * need no second conversion): label = filled circle, prediction = dashed diamond, the flip
 * partner's label = hollow circle, a fix = cross. */
function SuspectView({
  shown,
  keypoint,
  partner,
  predicted,
  colors,
  fixPoint,
  onPlace,
}: ViewProps) {
  const { image, annotation } = shown;
  const svg = useRef<SVGSVGElement>(null);
  const dragging = useRef(false);
  const byName = new Map(annotation.keypoints.map((p) => [p.name, p]));
  const label = labelXY(byName.get(keypoint));
  const partnerXY = partner ? labelXY(byName.get(partner)) : null;
  const guess =
    predicted && predicted.x !== null && predicted.y !== null
      ? { x: predicted.x, y: predicted.y }
      : null;
  const crop = cropAround(
    [label, guess, partnerXY].filter((p): p is XY => p !== null),
    image.width,
    image.height,
  );
  const r = crop.w * 0.025;
  const color = colors.get(keypoint) ?? "#ef4444";
  // A name right of a point in the crop's right part would run past its edge: put it left.
  const nameAt = (p: XY) =>
    p.x > crop.x + crop.w * 0.6
      ? { x: p.x - r * 1.4, "text-anchor": "end" as const }
      : { x: p.x + r * 1.4, "text-anchor": "start" as const };

  const toImage = (e: PointerEvent): XY | null => {
    const el = svg.current;
    const ctm = el?.getScreenCTM();
    if (!el || !ctm) return null;
    const pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
    return {
      x: Math.min(Math.max(pt.x, 0), image.width),
      y: Math.min(Math.max(pt.y, 0), image.height),
    };
  };
  const place = (e: PointerEvent) => {
    const xy = fixPoint !== null ? toImage(e) : null;
    if (xy) onPlace(xy);
  };
  return (
    <svg
      ref={svg}
      class={`review-crop${fixPoint ? " fixing" : ""}`}
      viewBox={`${crop.x} ${crop.y} ${crop.w} ${crop.h}`}
      role="img"
      aria-label={`${keypoint}: label and prediction`}
      data-crop={`${crop.x},${crop.y},${crop.w},${crop.h}`}
      onPointerDown={(e) => {
        dragging.current = true;
        place(e);
      }}
      onPointerMove={(e) => dragging.current && place(e)}
      onPointerUp={() => {
        dragging.current = false;
      }}
      onPointerLeave={() => {
        dragging.current = false;
      }}
    >
      <image
        href={api.viewUrl(image.id)}
        x={0}
        y={0}
        width={image.width}
        height={image.height}
        preserveAspectRatio="none"
      />
      {partnerXY && partner && (
        <g class="marker-partner">
          <circle
            cx={partnerXY.x}
            cy={partnerXY.y}
            r={r}
            fill="none"
            stroke={colors.get(partner) ?? "#fff"}
            stroke-width={r / 3}
          />
          <text
            {...nameAt(partnerXY)}
            y={partnerXY.y}
            font-size={r * 1.6}
            fill="#fff"
            stroke="#000"
            stroke-width={r / 4}
            paint-order="stroke"
          >
            {partner}
          </text>
        </g>
      )}
      {guess && (
        <path
          class="marker-prediction"
          d={`M ${guess.x} ${guess.y - r * 1.4} l ${r * 1.4} ${r * 1.4} l ${-r * 1.4} ${r * 1.4} l ${-r * 1.4} ${-r * 1.4} z`}
          fill="none"
          stroke={color}
          stroke-width={r / 3}
          stroke-dasharray={`${r / 2} ${r / 3}`}
        />
      )}
      {label && (
        <g class="marker-label">
          <circle cx={label.x} cy={label.y} r={r} fill={color} stroke="#fff" stroke-width={r / 4} />
          <text
            {...nameAt(label)}
            y={label.y - r}
            font-size={r * 1.6}
            fill="#fff"
            stroke="#000"
            stroke-width={r / 4}
            paint-order="stroke"
          >
            {keypoint}
          </text>
        </g>
      )}
      {fixPoint && (
        // Yellow on a dark edge, so the cross shows on pale fur and sand as on dark ground.
        <g class="marker-fix">
          <path d={cross(fixPoint, r * 1.5)} stroke="#000" stroke-width={r / 3 + r / 4} />
          <path d={cross(fixPoint, r * 1.5)} stroke="#fde047" stroke-width={r / 3} />
        </g>
      )}
    </svg>
  );
}
