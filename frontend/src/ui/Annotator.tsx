/**
 * The annotation view: loads one image, its annotation and prediction, and turns clicks, drags
 * and keys into store patches (core/keypoints). Saving, undo and conflicts live in the session.
 * While it is open, a request answered 401 waits for the "session expired" dialog's sign-in and
 * is then sent again (core/reauth), so an expired session loses no edits.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Vec2 } from "../core/geometry";
import {
  acceptAllAbove,
  acceptPrediction,
  countPlaced,
  firstUnlabeled,
  movePoint,
  nextUnlabeled,
  nudgePoint,
  placePoint,
  predictionByName,
  setVisibility,
} from "../core/keypoints";
import {
  finishPatch,
  unacceptedPredictions,
  withAutoDone,
  type Unaccepted,
} from "../core/finishing";
import type { QueueReason } from "../core/queueReason";
import type { ReauthGate } from "../core/reauth";
import { cssFilter } from "../core/imageAdjust";
import { createSession, type AnnotationSession } from "../core/session";
import { actionForKey, nudgeDelta, selectedIndex, type Action } from "../core/shortcuts";
import type { Patch } from "../core/store";
import type { ImageRead, PredictionRead, ProjectRead, UserRead } from "../core/types";
import { api, errorText } from "./api";
import { ConflictDialog, HelpOverlay, ReloginDialog } from "./Dialogs";
import { FinishDialog } from "./FinishDialog";
import { ImageAdjustMenu, useImageAdjust } from "./ImageAdjustMenu";
import { KeypointPanel } from "./KeypointPanel";
import { useReauthGate, useSubscribe } from "./hooks";
import { findNextImage, labelingSession, queueCache } from "./nextImage";
import { navigate } from "./router";
import { SaveIndicator } from "./SaveIndicator";
import { Viewport, type ViewportController } from "./Viewport";
import { VideoFrameBar } from "./video/VideoFrameBar";

interface Loaded {
  project: ProjectRead;
  image: ImageRead;
  prediction: PredictionRead | null;
  session: AnnotationSession;
}

export function Annotator({
  projectId,
  imageId,
  user,
  onUserChange,
}: {
  projectId: number;
  imageId: number;
  user: UserRead;
  /** After signing in again, possibly as someone else (their name goes on the next saves). */
  onUserChange: (user: UserRead) => void;
}) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [reason, setReason] = useState<QueueReason | null>(null);
  const [error, setError] = useState<string | null>(null);
  const gate = useReauthGate(); // first, so the loads below already wait on it

  useEffect(() => {
    let cancelled = false;
    let session: AnnotationSession | null = null;
    const loading = Promise.all([
      api.getProject(projectId),
      api.getImage(imageId),
      api.getAnnotation(imageId),
      api.getPrediction(imageId),
    ]);
    loading
      .then(([project, image, annotation, prediction]) => {
        if (cancelled) return;
        session = createSession(api, project.keypoint_schema, annotation, { prediction });
        setLoaded({ project, image, prediction, session });
      })
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    // Why the queue asks for this image: no request when "Next" just fetched the page it is on.
    loading
      .then(([project]) =>
        project.settings.queue_strategy === "uncertainty"
          ? queueCache.reasonFor(projectId, imageId)
          : null,
      )
      .then(
        (r) => !cancelled && setReason(r),
        () => undefined,
      ); // only a note: its failure is not the page's
    return () => {
      cancelled = true;
      const s = session;
      if (s) void s.saver.flush().finally(() => s.dispose());
    };
  }, [projectId, imageId]);

  const signIn = (u: UserRead) => {
    gate.signedIn();
    onUserChange(u);
  };
  return (
    <>
      {error ? (
        <p class="page-error" role="alert">
          Cannot open image {imageId}: {error} <a href={`/projects/${projectId}`}>Back</a>
        </p>
      ) : loaded ? (
        <Workspace {...loaded} reason={reason} gate={gate} user={user} />
      ) : (
        <p class="loading">Loading image…</p>
      )}
      {gate.expired && <ReloginDialog email={user.email} onSignedIn={signIn} />}
    </>
  );
}

function Workspace({
  project,
  image,
  prediction,
  session,
  user,
  reason,
  gate,
}: Loaded & {
  user: UserRead;
  reason: QueueReason | null;
  gate: ReauthGate;
}) {
  const { store, undo, saver } = session;
  const schema = project.keypoint_schema;
  useSubscribe(useCallback((fn) => store.subscribe(fn), [store]));
  useSubscribe(useCallback((fn) => undo.subscribe(fn), [undo]));
  useSubscribe(useCallback((fn) => saver.subscribe(fn), [saver]));
  const [active, setActive] = useState(() => firstUnlabeled(store.current.points));
  const [showPredictions, setShowPredictions] = useState(true);
  const [allLabels, setAllLabels] = useState(false);
  const [threshold, setThreshold] = useState(0.5);
  const [help, setHelp] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // "Done" would leave confident predictions out: asked first; `next` goes on after the answer.
  const [finishing, setFinishing] = useState<{ left: Unaccepted[]; next: boolean } | null>(null);
  const [adjust, setAdjust] = useImageAdjust(project.id);
  const viewport = useRef<ViewportController | null>(null);
  const canEdit = user.role !== "viewer";
  const autoDone = project.settings.auto_done === true;
  const state = store.current;
  const predictions = showPredictions ? predictionByName(prediction) : new Map();
  const nameOf = (i: number) => state.points[i]?.name ?? "?";

  const apply = (patch: Patch | null, label: string): boolean => {
    if (!patch || !canEdit) return false;
    return store.apply(withAutoDone(store.current, patch, autoDone), "user", label) !== null;
  };

  const place = (xy: Vec2, occluded: boolean) => {
    if (
      apply(
        placePoint(store.current, active, xy, image, occluded ? "occluded" : "visible"),
        `place ${nameOf(active)}`,
      )
    ) {
      setActive(nextUnlabeled(store.current.points, active) ?? active);
    }
  };

  /** Leave for the next image of the queue; `skip` sends this one to the end of the session. */
  const goNext = async (skip = false) => {
    await saver.flush();
    if (saver.hasUnsaved) {
      setNotice("Resolve the save problem before leaving this image.");
      return;
    }
    const done = store.current.done;
    const next = await findNextImage(project.id, image.id, !done).catch((e: unknown) => {
      setNotice(errorText(e));
      return null;
    });
    labelingSession(project.id).leave(image.id, done ? "done" : skip ? "skipped" : "next");
    if (next !== null) navigate(`/projects/${project.id}/images/${next}`);
    else setNotice("No other image left to annotate.");
  };

  /** Mark done, first asking when confident predictions would stay unaccepted; `next`: then go on. */
  const finish = (next: boolean, acceptRest: boolean) => {
    const left =
      acceptRest || !canEdit ? [] : unacceptedPredictions(store.current, prediction, threshold);
    if (left.length > 0) setFinishing({ left, next });
    else complete(next, acceptRest);
  };
  const complete = (next: boolean, acceptRest: boolean) => {
    setFinishing(null);
    const patch = finishPatch(store.current, prediction, threshold, image, acceptRest);
    apply(patch, acceptRest ? `accept predictions ≥ ${threshold} and mark done` : "mark done");
    if (next) void goNext();
  };

  const back = async () => {
    await saver.flush();
    navigate(`/projects/${project.id}`);
  };

  const run = (action: Action, e: KeyboardEvent | null) => {
    if (help && action !== "help" && action !== "escape") return; // the overlay is modal
    if (finishing) return;
    const n = state.points.length;
    const select = selectedIndex(action);
    if (select !== null) {
      if (select < n) setActive(select);
      return;
    }
    const nudge = nudgeDelta(action);
    if (nudge) {
      apply(
        nudgePoint(store.current, active, nudge[0], nudge[1], image),
        `nudge ${nameOf(active)}`,
      );
      return;
    }
    switch (action) {
      case "undo":
        undo.undo();
        break;
      case "redo":
        undo.redo();
        break;
      case "next-keypoint":
        setActive((active + 1) % n);
        break;
      case "prev-keypoint":
        setActive((active - 1 + n) % n);
        break;
      case "set-visible":
        apply(setVisibility(store.current, active, "visible"), `${nameOf(active)} visible`);
        break;
      case "set-occluded":
        apply(setVisibility(store.current, active, "occluded"), `${nameOf(active)} occluded`);
        break;
      case "set-unlabeled":
        apply(setVisibility(store.current, active, "unlabeled"), `clear ${nameOf(active)}`);
        break;
      case "accept-prediction":
        if (
          apply(
            acceptPrediction(store.current, active, prediction, image),
            `accept ${nameOf(active)}`,
          )
        ) {
          setActive(nextUnlabeled(store.current.points, active) ?? active);
        }
        break;
      case "accept-all-predictions":
        apply(
          acceptAllAbove(store.current, prediction, threshold, image),
          `accept predictions ≥ ${threshold}`,
        );
        break;
      case "toggle-predictions":
        setShowPredictions((s) => !s);
        break;
      case "toggle-labels":
        setAllLabels((a) => !a);
        break;
      case "toggle-done":
        if (store.current.done) apply({ done: false }, "mark not done");
        else finish(false, false);
        break;
      case "done-next":
        finish(true, false);
        break;
      case "accept-rest-next":
        finish(true, true);
        break;
      case "next-image":
        void goNext();
        break;
      case "skip-image":
        void goNext(true);
        break;
      case "fit":
        viewport.current?.fit();
        break;
      case "zoom-in":
        viewport.current?.zoomBy(1.25);
        break;
      case "zoom-out":
        viewport.current?.zoomBy(0.8);
        break;
      case "help":
        setHelp((h) => !h);
        break;
      case "find-keypoint":
        document.getElementById("kp-find")?.focus();
        break;
      case "escape":
        setHelp(false);
        break;
    }
    e?.preventDefault();
  };
  // Undo/redo of a single-keypoint change selects that keypoint, so a re-click re-places it.
  useEffect(
    () =>
      store.subscribe((_s, change) => {
        const touched = [...(change.patch.points?.keys() ?? [])];
        if (undo.isApplying && touched.length === 1) setActive(touched[0] ?? 0);
      }),
    [store, undo],
  );

  const runRef = useRef(run);
  runRef.current = run;
  const finishingRef = useRef(false);
  finishingRef.current = finishing !== null;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA"))
        return;
      if (saver.status === "conflict" || gate.expired) return; // the dialog decides first
      if (finishingRef.current) {
        if (e.key === "Escape") setFinishing(null); // Enter and Tab stay with the dialog's buttons
        return;
      }
      const action = actionForKey(e);
      if (!action) return;
      e.preventDefault();
      runRef.current(action, e);
    };
    window.addEventListener("keydown", onKey);
    const onUnload = (e: BeforeUnloadEvent) => {
      if (saver.hasUnsaved) {
        void saver.flush();
        e.preventDefault();
      }
    };
    window.addEventListener("beforeunload", onUnload);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("beforeunload", onUnload);
    };
  }, [saver, gate]);

  useActiveTime(session);

  const placedCount = countPlaced(state.points);
  return (
    <div class="annotator">
      <header class="topbar annotator-bar">
        <button type="button" onClick={() => void back()} aria-label="Back to images">
          ← Images
        </button>
        <span class="image-title" title={image.original_name}>
          <strong>{image.original_name}</strong>
          <span class="muted">
            {" "}
            {image.width}×{image.height} ·{" "}
          </span>
          <span
            class="muted"
            title={
              image.split === "validation"
                ? "Validation image: its labels measure the model (PCK) and are never trained on"
                : "Training image: its labels train the model"
            }
          >
            {image.split}
          </span>
        </span>
        <span class="labeled" aria-label="Labeled keypoints">
          {placedCount}/{state.points.length} labeled
        </span>
        <SaveIndicator
          status={saver.status}
          error={saver.error}
          retrying={saver.retrying}
          signedOut={gate.expired}
        />
        <span class="spacer" />
        <button
          type="button"
          onClick={() => undo.undo()}
          disabled={!undo.canUndo}
          title="Undo (Ctrl+Z)"
        >
          Undo
        </button>
        <button
          type="button"
          onClick={() => undo.redo()}
          disabled={!undo.canRedo}
          title="Redo (Ctrl+Shift+Z)"
        >
          Redo
        </button>
        <button type="button" onClick={() => viewport.current?.fit()} title="Fit to window (F)">
          Fit
        </button>
        <ImageAdjustMenu value={adjust} onChange={setAdjust} />
        {prediction && (
          <button
            type="button"
            aria-pressed={showPredictions}
            onClick={() => setShowPredictions((s) => !s)}
            title="Show predictions (P)"
          >
            Predictions
          </button>
        )}
        {canEdit && (
          <button
            type="button"
            class={state.done ? "done-on" : ""}
            aria-pressed={state.done}
            onClick={() => run("toggle-done", null)}
            title="Mark image done (D)"
          >
            {state.done ? "✓ Done" : "Mark done"}
          </button>
        )}
        <button
          type="button"
          onClick={() => void goNext(true)}
          title="Skip: leave this image for the end of the session (S)"
        >
          Skip
        </button>
        <button
          type="button"
          onClick={() => void goNext()}
          aria-label="Next image"
          title="Next image, leaving this one as it is (N)"
        >
          Next
        </button>
        {canEdit && (
          <button
            type="button"
            class="primary"
            onClick={() => run("done-next", null)}
            title="Mark done and go to the next image (Enter)"
          >
            Done &amp; next
          </button>
        )}
        <button
          type="button"
          onClick={() => setHelp(true)}
          aria-label="Keyboard shortcuts"
          title="Shortcuts (?)"
        >
          ?
        </button>
      </header>
      <VideoFrameBar image={image} canEdit={canEdit} />
      {notice && (
        <p class="notice" role="alert">
          {notice}{" "}
          <button type="button" onClick={() => setNotice(null)} aria-label="Dismiss">
            ×
          </button>
        </p>
      )}
      <div class="annotator-main">
        <Viewport
          image={image}
          src={api.viewUrl(image.id)}
          imageFilter={cssFilter(adjust)}
          schema={schema}
          points={state.points}
          prediction={prediction}
          showPredictions={showPredictions}
          allLabels={allLabels}
          active={active}
          controller={viewport}
          onPlace={place}
          onMove={(i, xy) => apply(movePoint(store.current, i, xy, image), `move ${nameOf(i)}`)}
          onMovePrediction={(i, xy) =>
            apply(placePoint(store.current, i, xy, image), `move predicted ${nameOf(i)}`)
          }
          onSelect={setActive}
        />
        <KeypointPanel
          schema={schema}
          points={state.points}
          predictions={predictions}
          active={active}
          reason={reason}
          threshold={threshold}
          canEdit={canEdit}
          onSelect={setActive}
          onThreshold={setThreshold}
          onAcceptAll={() => run("accept-all-predictions", null)}
          onAcceptRestAndNext={() => run("accept-rest-next", null)}
          onAccept={() => run("accept-prediction", null)}
          onVisibility={(v) =>
            run(
              v === "visible" ? "set-visible" : v === "occluded" ? "set-occluded" : "set-unlabeled",
              null,
            )
          }
        />
      </div>
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
      {finishing && (
        <FinishDialog
          left={finishing.left}
          threshold={threshold}
          onCancel={() => setFinishing(null)}
          onAcceptAndFinish={() => complete(finishing.next, true)}
          onFinish={() => complete(finishing.next, false)}
        />
      )}
      {saver.status === "conflict" && saver.conflict && (
        <ConflictDialog
          mine={state}
          theirs={saver.conflict.theirs}
          onKeepMine={() => void saver.keepMine()}
          onTakeTheirs={() => session.takeTheirs()}
        />
      )}
    </div>
  );
}

/** Feeds the page's inputs, visibility and focus to the effort counter's active-time clock. */
function useActiveTime(session: AnnotationSession): void {
  useEffect(() => {
    const time = session.effort.time;
    const attentive = () =>
      time.setAttentive(document.visibilityState === "visible" && document.hasFocus());
    const input = () => time.input();
    attentive();
    const inputs = ["pointerdown", "pointermove", "keydown", "wheel"] as const;
    for (const name of inputs)
      window.addEventListener(name, input, { passive: true, capture: true });
    window.addEventListener("focus", attentive);
    window.addEventListener("blur", attentive);
    document.addEventListener("visibilitychange", attentive);
    return () => {
      for (const name of inputs) window.removeEventListener(name, input, { capture: true });
      window.removeEventListener("focus", attentive);
      window.removeEventListener("blur", attentive);
      document.removeEventListener("visibilitychange", attentive);
    };
  }, [session]);
}
