/** Server timestamps: reading them, and the words the UI shows for them. */

/** Milliseconds since the epoch; a timestamp without a zone is UTC (the server's clock). */
export function parseServerTime(iso: string): number {
  return Date.parse(/Z$|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
}

/** Date and time in the reader's locale; "—" for none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(parseServerTime(iso)).toLocaleString(undefined, {
    dateStyle: "short",
    timeStyle: "medium",
  });
}

const UNITS = [
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
] as const;

/**
 * How long ago `iso` was, at `now` (ms), in its largest whole unit: "3 hours ago". Anything
 * under `precisionS` (the granularity of the timestamp itself, or clock skew into the
 * future) reads "within N minutes" / "just now" rather than a precision the server lacks.
 */
export function timeAgo(iso: string, now: number, precisionS = 60): string {
  const seconds = (now - parseServerTime(iso)) / 1000;
  if (Number.isNaN(seconds)) return "—";
  if (seconds < precisionS) {
    return precisionS >= 120 ? `within ${Math.round(precisionS / 60)} minutes` : "just now";
  }
  for (const [unit, size] of UNITS) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return `${n} ${unit}${n === 1 ? "" : "s"} ago`;
  }
  return `${Math.floor(seconds)} seconds ago`;
}
