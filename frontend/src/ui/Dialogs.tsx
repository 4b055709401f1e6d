import { useEffect, useRef } from "preact/hooks";
import type { ComponentChildren } from "preact";
import { SHORTCUTS } from "../core/shortcuts";
import type { AnnotationState } from "../core/store";
import { samePoint } from "../core/store";
import type { AnnotationRead, Point, UserRead } from "../core/types";
import { LoginForm } from "./Login";

export function Modal({
  title,
  children,
  onClose,
}: {
  title: string;
  children: ComponentChildren;
  onClose?: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // The field marked autofocus when there is one (a dynamically added one is not focused by the browser).
  useEffect(
    () => (ref.current?.querySelector<HTMLElement>("[autofocus]") ?? ref.current)?.focus(),
    [],
  );
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose?.()}>
      <div class="modal" role="dialog" aria-modal="true" aria-label={title} tabIndex={-1} ref={ref}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  );
}

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose}>
      <table class="shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.keys}>
              <th scope="row">
                <kbd>{s.keys}</kbd>
              </th>
              <td>{s.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </Modal>
  );
}

function describe(p: Point | undefined): string {
  if (!p || p.visibility === "unlabeled" || p.x === null || p.y === null) return "unlabeled";
  return `${p.visibility} (${p.x.toFixed(1)}, ${p.y.toFixed(1)})${p.source === "prediction" ? " accepted" : ""}`;
}

export function ConflictDialog({
  mine,
  theirs,
  onKeepMine,
  onTakeTheirs,
}: {
  mine: AnnotationState;
  theirs: AnnotationRead;
  onKeepMine: () => void;
  onTakeTheirs: () => void;
}) {
  const theirsByName = new Map(theirs.keypoints.map((p) => [p.name, p]));
  const when = theirs.updated_at ? new Date(theirs.updated_at).toLocaleString() : "just now";
  return (
    <Modal title="This image was changed by someone else">
      <p>
        Version {theirs.version} was saved by{" "}
        <strong>{theirs.updated_by ?? "another session"}</strong> ({when}) while you were editing.
        Choose which version to keep; the other one is discarded.
      </p>
      <table class="conflict">
        <thead>
          <tr>
            <th>Keypoint</th>
            <th>Mine</th>
            <th>Theirs</th>
          </tr>
        </thead>
        <tbody>
          {mine.points.map((p) => {
            const t = theirsByName.get(p.name);
            const differs = !t || !samePoint(p, t);
            return (
              <tr key={p.name} class={differs ? "differs" : ""}>
                <th scope="row">{p.name}</th>
                <td>{describe(p)}</td>
                <td>{describe(t)}</td>
              </tr>
            );
          })}
          <tr class={mine.done !== theirs.done ? "differs" : ""}>
            <th scope="row">done</th>
            <td>{mine.done ? "yes" : "no"}</td>
            <td>{theirs.done ? "yes" : "no"}</td>
          </tr>
        </tbody>
      </table>
      <div class="modal-actions">
        <button type="button" class="primary" onClick={onKeepMine}>
          Keep mine
        </button>
        <button type="button" onClick={onTakeTheirs}>
          Take theirs
        </button>
      </div>
    </Modal>
  );
}

/** Shown while the session is expired; the edits wait in memory and are saved once signed in. */
export function ReloginDialog({
  email,
  onSignedIn,
}: {
  email: string;
  onSignedIn: (user: UserRead) => void;
}) {
  return (
    <Modal title="Your session has expired">
      <LoginForm
        label="Sign in again"
        submitText="Sign in"
        initialEmail={email}
        onLoggedIn={onSignedIn}
      >
        <p class="relogin-text">
          Sign in again to keep your changes: they wait in this tab and are saved as soon as you are
          signed in.
        </p>
      </LoginForm>
    </Modal>
  );
}
