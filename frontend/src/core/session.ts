/** Wires one image's store, undo stack, autosaver and effort counter together (framework-free). */
import type { Clock } from "./activeTime";
import { Autosaver, type SaveClient } from "./autosave";
import { EffortCounter } from "./effort";
import { alignToSchema } from "./keypoints";
import { AnnotationStore } from "./store";
import type { AnnotationRead, KeypointSchema, PredictionRead } from "./types";
import { UndoStack, recordUserChanges } from "./undo";

export interface AnnotationSession {
  readonly store: AnnotationStore;
  readonly undo: UndoStack;
  readonly saver: Autosaver;
  /** Labeling effort since the image was opened; sent with every save. */
  readonly effort: EffortCounter;
  /** Adopt the server's copy after a conflict ("take theirs"). */
  takeTheirs(): void;
  dispose(): void;
}

export interface SessionOptions {
  delayMs?: number;
  /** The prediction shown with the image (null: none), for the effort counts. */
  prediction?: PredictionRead | null;
  clock?: Clock;
}

export function createSession(
  client: SaveClient,
  schema: KeypointSchema,
  annotation: AnnotationRead,
  options: SessionOptions = {},
): AnnotationSession {
  const store = new AnnotationStore({
    points: alignToSchema(schema, annotation.keypoints),
    done: annotation.done,
  });
  const undo = new UndoStack();
  const effort = new EffortCounter(store.current.points, options.prediction ?? null, options.clock);
  const saver = new Autosaver({
    client,
    imageId: annotation.image_id,
    version: annotation.version,
    getState: () => store.current,
    delayMs: options.delayMs ?? 800,
    effort: (state) => effort.draft(state.points),
  });
  const unrecord = recordUserChanges(store, undo);
  const unsave = store.subscribe((state, change) => {
    if (change.origin === "user") {
      if ((change.patch.points?.size ?? 0) > 0) effort.click();
      saver.notifyChange();
    } else if (change.reset) effort.rebase(state.points);
  });
  return {
    store,
    undo,
    saver,
    effort,
    takeTheirs() {
      const theirs = saver.takeTheirs();
      if (theirs)
        store.replace(
          { points: alignToSchema(schema, theirs.keypoints), done: theirs.done },
          "server",
          "take theirs",
        );
    },
    dispose() {
      unrecord();
      unsave();
      saver.dispose();
    },
  };
}
