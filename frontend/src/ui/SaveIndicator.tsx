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

/**
 * `signedOut`: the session expired with changes pending (they wait for the new sign-in).
 * `retrying`: the save failed for a passing reason (network, server) and is tried again. The
 * line stays short so the toolbar keeps its layout; the technical detail is in the tooltip.
 */
export function SaveIndicator({
  status,
  error,
  retrying = false,
  signedOut = false,
}: {
  status: SaveStatus;
  error: string | null;
  retrying?: boolean;
  signedOut?: boolean;
}) {
  const shown: Shown = signedOut && status !== "saved" ? "signed-out" : status;
  const text =
    shown !== "error"
      ? TEXT[shown]
      : retrying
        ? "Could not save — retrying; your changes are kept"
        : `Not saved${error ? `: ${error}` : ""}`;
  return (
    <span
      class={`save-status save-${shown}`}
      role="status"
      aria-live="polite"
      data-status={shown}
      title={error ? `${text}\n(${error})` : undefined}
    >
      {text}
    </span>
  );
}
