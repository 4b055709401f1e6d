/**
 * The annotator's "Image" button: brightness and contrast sliders for the displayed image
 * (core/imageAdjust). The panel stays open while the sliders move, so the annotator can watch
 * the joint they are looking for appear; Escape, the button or a press elsewhere closes it.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import {
  clampAdjust,
  isNeutral,
  loadAdjust,
  NEUTRAL,
  PERCENT_RANGE,
  saveAdjust,
  type ImageAdjust,
} from "../core/imageAdjust";

/** The project's image adjustment, read from and written to this browser's storage. */
export function useImageAdjust(projectId: number): [ImageAdjust, (next: ImageAdjust) => void] {
  const [adjust, setAdjust] = useState(() => loadAdjust(browserStorage(), projectId));
  const change = (next: ImageAdjust) => {
    const clamped = clampAdjust(next);
    setAdjust(clamped);
    saveAdjust(browserStorage(), projectId, clamped);
  };
  return [adjust, change];
}

function browserStorage(): Storage | null {
  try {
    return window.localStorage; // throws where the browser blocks site storage
  } catch {
    return null;
  }
}

interface Props {
  value: ImageAdjust;
  onChange: (next: ImageAdjust) => void;
}

export function ImageAdjustMenu({ value, onChange }: Props) {
  const [open, setOpen] = useState(false);
  const menu = useRef<HTMLSpanElement>(null);
  // A press anywhere else closes it, as any menu does (the press still does its own job).
  useEffect(() => {
    if (!open) return;
    const onPress = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", onPress, true);
    return () => document.removeEventListener("pointerdown", onPress, true);
  }, [open]);
  const slider = (key: keyof ImageAdjust, label: string) => {
    const percent = Math.round(value[key] * 100);
    return (
      <label class="image-adjust-row">
        <span>{label}</span>
        <input
          type="range"
          min={PERCENT_RANGE.min}
          max={PERCENT_RANGE.max}
          step={PERCENT_RANGE.step}
          value={percent}
          onInput={(e) =>
            onChange({ ...value, [key]: Number((e.target as HTMLInputElement).value) / 100 })
          }
        />
        <output>{percent}%</output>
      </label>
    );
  };
  return (
    <span class="image-adjust-menu" ref={menu}>
      <button
        type="button"
        aria-expanded={open}
        aria-pressed={!isNeutral(value)}
        onClick={() => setOpen((o) => !o)}
        title="Brightness and contrast of the displayed image"
      >
        Image
      </button>
      {open && (
        <div
          class="image-adjust"
          role="group"
          aria-label="Image adjustments"
          onKeyDown={(e) => {
            if (e.key === "Escape") setOpen(false);
          }}
        >
          {slider("brightness", "Brightness")}
          {slider("contrast", "Contrast")}
          <p class="muted">Display only: the stored image and the model are unchanged.</p>
          <button type="button" onClick={() => onChange(NEUTRAL)} disabled={isNeutral(value)}>
            Reset
          </button>
        </div>
      )}
    </span>
  );
}
