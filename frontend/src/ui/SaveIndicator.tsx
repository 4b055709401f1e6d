import type { SaveStatus } from "../core/autosave";

const TEXT: Record<SaveStatus, string> = {
  saved: "Saved",
  dirty: "Unsaved changes",
  saving: "Saving…",
  error: "Save failed",
  conflict: "Conflict",
};

export function SaveIndicator({ status, error }: { status: SaveStatus; error: string | null }) {
  return (
    <span class={`save-status save-${status}`} role="status" aria-live="polite" data-status={status}
      title={error ?? undefined}>
      {TEXT[status]}
      {status === "error" && error ? `: ${error}` : ""}
    </span>
  );
}
