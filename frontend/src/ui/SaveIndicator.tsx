import type { SaveStatus } from "../core/autosave";

type Shown = SaveStatus | "signed-out";

const TEXT: Record<Shown, string> = {
  saved: "Saved",
  dirty: "Unsaved changes",
  saving: "Saving…",
  error: "Save failed",
  conflict: "Conflict",
  "signed-out": "Signed out: changes kept",
};

/** `signedOut`: the session expired with changes pending (they wait for the new sign-in). */
export function SaveIndicator({ status, error, signedOut = false }: { status: SaveStatus; error: string | null; signedOut?: boolean }) {
  const shown: Shown = signedOut && status !== "saved" ? "signed-out" : status;
  return (
    <span class={`save-status save-${shown}`} role="status" aria-live="polite" data-status={shown}
      title={error ?? undefined}>
      {TEXT[shown]}
      {shown === "error" && error ? `: ${error}` : ""}
    </span>
  );
}
