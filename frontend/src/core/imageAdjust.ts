/**
 * Brightness and contrast of the image in the annotation view, for dark camera-trap frames,
 * infrared night shots and washed-out footage where a joint is hard to see. Display only: the
 * stored image, its thumbnail and what the model trains on are unchanged. Remembered per
 * project in this browser, since one project's footage tends to share its lighting.
 */

/** Multipliers, as CSS `brightness()` / `contrast()` take them: 1 leaves the image as it is. */
export interface ImageAdjust {
  brightness: number;
  contrast: number;
}

export const NEUTRAL: ImageAdjust = { brightness: 1, contrast: 1 };

/** Slider bounds in percent: below a quarter the image is black, above 4x it is white. */
export const PERCENT_RANGE = { min: 25, max: 400, step: 5 } as const;

type Reader = Pick<Storage, "getItem">;
type Writer = Pick<Storage, "setItem" | "removeItem">;

export function clampAdjust(a: ImageAdjust): ImageAdjust {
  const clamp = (v: number) =>
    Number.isFinite(v)
      ? Math.min(PERCENT_RANGE.max, Math.max(PERCENT_RANGE.min, v * 100)) / 100
      : 1;
  return { brightness: clamp(a.brightness), contrast: clamp(a.contrast) };
}

export function isNeutral(a: ImageAdjust): boolean {
  return a.brightness === 1 && a.contrast === 1;
}

/** The CSS `filter` for the image: "" when unchanged, so the browser does no filtering work. */
export function cssFilter(a: ImageAdjust): string {
  if (isNeutral(a)) return "";
  const parts: string[] = [];
  if (a.brightness !== 1) parts.push(`brightness(${a.brightness})`);
  if (a.contrast !== 1) parts.push(`contrast(${a.contrast})`);
  return parts.join(" ");
}

export function storageKey(projectId: number): string {
  return `keyloop.imageAdjust.${projectId}`;
}

/** The project's saved adjustment; anything missing, unreadable or out of range reads as neutral. */
export function loadAdjust(storage: Reader | null, projectId: number): ImageAdjust {
  let raw: string | null = null;
  try {
    raw = storage?.getItem(storageKey(projectId)) ?? null;
  } catch {
    return NEUTRAL; // storage disabled by the browser's privacy settings
  }
  if (!raw) return NEUTRAL;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== "object" || value === null) return NEUTRAL;
    const { brightness, contrast } = value as Record<string, unknown>;
    return clampAdjust({
      brightness: typeof brightness === "number" ? brightness : 1,
      contrast: typeof contrast === "number" ? contrast : 1,
    });
  } catch {
    return NEUTRAL;
  }
}

/** Remember the adjustment (a neutral one removes the entry); a full or disabled storage is not an error. */
export function saveAdjust(storage: Writer | null, projectId: number, a: ImageAdjust): void {
  try {
    if (isNeutral(a)) storage?.removeItem(storageKey(projectId));
    else storage?.setItem(storageKey(projectId), JSON.stringify(a));
  } catch {
    // the setting then lasts until the page is left; nothing else depends on it
  }
}
