/**
 * "Signed-in devices" (the Account view): each browser session as a row a person recognises
 * ("Firefox 128 on Windows", where from, when last used), this device first.
 */
import { timeAgo } from "./time";
import type { UserSessionRead } from "./types";

/** The server refreshes `last_seen_at` at most this often (backend `LAST_SEEN_EVERY`). */
export const LAST_SEEN_PRECISION_S = 5 * 60;

// First match wins, so the browsers that also claim to be Chrome or Safari come first.
const BROWSERS: readonly [string, RegExp][] = [
  ["Edge", /\bEdg(?:e|A|iOS)?\/(\d+)/],
  ["Opera", /\b(?:OPR|OPiOS)\/(\d+)/],
  ["Samsung Internet", /\bSamsungBrowser\/(\d+)/],
  ["Firefox", /\b(?:Firefox|FxiOS)\/(\d+)/],
  ["Chromium", /\bChromium\/(\d+)/],
  ["Chrome", /\b(?:HeadlessChrome|Chrome|CriOS)\/(\d+)/],
  ["Safari", /\bVersion\/(\d+)(?:\.\d+)*(?: Mobile\/\w+)? Safari\//],
];

// iPhone and iPad user agents say "like Mac OS X", and Android ones say "Linux".
const SYSTEMS: readonly [string, RegExp][] = [
  ["Windows", /\bWindows\b/],
  ["iOS", /\b(?:iPhone|iPad|iPod)\b/],
  ["Android", /\bAndroid\b/],
  ["ChromeOS", /\bCrOS\b/],
  ["macOS", /\bMac OS X\b|\bMacintosh\b/],
  ["Linux", /\bLinux\b/],
];

/**
 * A readable summary of a User-Agent header: "Chrome 126 on Windows", "Safari on iOS" when
 * the version is hidden. Anything not recognised as a browser (a script, curl) is shown as
 * sent, so nothing is hidden from the reader; an empty one is "Unknown device".
 */
export function describeUserAgent(userAgent: string): string {
  const ua = userAgent.trim();
  if (!ua) return "Unknown device";
  const browser = firstMatch(BROWSERS, ua);
  if (!browser) return ua;
  const name = browser.version ? `${browser.name} ${browser.version}` : browser.name;
  const system = firstMatch(SYSTEMS, ua);
  return system ? `${name} on ${system.name}` : name;
}

function firstMatch(
  patterns: readonly [string, RegExp][],
  ua: string,
): { name: string; version: string } | null {
  for (const [name, pattern] of patterns) {
    const match = pattern.exec(ua);
    if (match) return { name, version: match[1] ?? "" };
  }
  return null;
}

export interface DeviceRow {
  id: number;
  device: string;
  /** The raw header, for a tooltip. */
  userAgent: string;
  ip: string;
  signedInAt: string;
  lastActive: string;
  current: boolean;
}

/** The rows of the devices table at `now` (ms): this device first, then as the server sent them. */
export function deviceRows(sessions: readonly UserSessionRead[], now: number): DeviceRow[] {
  const ordered = [...sessions.filter((s) => s.current), ...sessions.filter((s) => !s.current)];
  return ordered.map((s) => ({
    id: s.id,
    device: describeUserAgent(s.user_agent),
    userAgent: s.user_agent,
    ip: s.ip || "—",
    signedInAt: s.created_at,
    lastActive: s.current ? "now" : timeAgo(s.last_seen_at, now, LAST_SEEN_PRECISION_S),
    current: s.current,
  }));
}

/** What "Sign out all other devices" ends: every session but the one making the request. */
export function otherSessionIds(sessions: readonly UserSessionRead[]): number[] {
  return sessions.filter((s) => !s.current).map((s) => s.id);
}
