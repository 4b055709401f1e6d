/** Wires one image's store, undo stack and autosaver together (framework-free). */
import { Autosaver, type SaveClient } from "./autosave";
import { alignToSchema } from "./keypoints";
import { AnnotationStore } from "./store";
import type { AnnotationRead, KeypointSchema } from "./types";
import { UndoStack, recordUserChanges } from "./undo";

export interface AnnotationSession {
  readonly store: AnnotationStore;
  readonly undo: UndoStack;
  readonly saver: Autosaver;
  /** Adopt the server's copy after a conflict ("take theirs"). */
  takeTheirs(): void;
  dispose(): void;
}

export function createSession(
  client: SaveClient,
  schema: KeypointSchema,
  annotation: AnnotationRead,
  delayMs = 800,
): AnnotationSession {
  const store = new AnnotationStore({ points: alignToSchema(schema, annotation.keypoints), done: annotation.done });
  const undo = new UndoStack();
  const saver = new Autosaver({
    client,
    imageId: annotation.image_id,
    version: annotation.version,
    getState: () => store.current,
    delayMs,
  });
  const unrecord = recordUserChanges(store, undo);
  const unsave = store.subscribe((_s, change) => {
    if (change.origin === "user") saver.notifyChange();
  });
  return {
    store,
    undo,
    saver,
    takeTheirs() {
      const theirs = saver.takeTheirs();
      if (theirs) store.replace({ points: alignToSchema(schema, theirs.keypoints), done: theirs.done }, "server", "take theirs");
    },
    dispose() {
      unrecord();
      unsave();
      saver.dispose();
    },
  };
}
