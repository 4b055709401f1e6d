/**
 * The image with its keypoint overlay. The <img> keeps its natural size and is placed with one
 * CSS matrix (the view transform), so zoom and pan never re-decode or re-layout a 6000x4000
 * image; the SVG overlay lives in screen space and is redrawn (a few dozen shapes) per frame.
 * All coordinate conversion goes through core/geometry's imageToScreen / screenToImage.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import {
  cssMatrix,
  distance,
  fitToWindow,
  imageToScreen,
  midpoint,
  panBy,
  screenToImage,
  wheelZoomFactor,
  zoomAboutPoint,
  type Size,
  type Vec2,
  type ViewTransform,
} from "../core/geometry";
import { isPlaced, nextInStack, predictionByName } from "../core/keypoints";
import type {
  ImageRead,
  KeypointSchema,
  Point,
  PredictedPoint,
  PredictionRead,
} from "../core/types";
import { Markers, type DragPreview } from "./Markers";

export interface ViewportController {
  fit(): void;
  zoomBy(factor: number): void;
}

interface Props {
  image: ImageRead;
  src: string;
  /** CSS filter of the image (brightness / contrast); "" for none. */
  imageFilter: string;
  schema: KeypointSchema;
  points: readonly Point[];
  prediction: PredictionRead | null;
  showPredictions: boolean;
  allLabels: boolean;
  active: number;
  controller: { current: ViewportController | null };
  onPlace: (xy_image: Vec2, occluded: boolean) => void;
  onMove: (index: number, xy_image: Vec2) => void;
  onMovePrediction: (index: number, xy_image: Vec2) => void;
  onSelect: (index: number) => void;
}

type Gesture =
  | { kind: "none" }
  | {
      kind: "pan";
      start: Vec2;
      startView: ViewTransform;
      moved: boolean;
      button: number;
      shift: boolean;
    }
  | { kind: "pinch"; startDist: number; startMid: Vec2; startView: ViewTransform }
  | { kind: "drag"; index: number; target: "point" | "prediction"; start: Vec2; moved: boolean };

const CLICK_SLOP_PX = 4;

export function Viewport(props: Props) {
  const { image } = props;
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  const [view, setView] = useState<ViewTransform>({ scale: 1, tx: 0, ty: 0 });
  const [drag, setDrag] = useState<DragPreview | null>(null);
  const [imageError, setImageError] = useState(false);
  const [imageLoaded, setImageLoaded] = useState(false);
  const userMoved = useRef(false);
  const pointers = useRef(new Map<number, Vec2>());
  const gesture = useRef<Gesture>({ kind: "none" });
  const viewRef = useRef(view);
  viewRef.current = view;
  const sizeRef = useRef(size);
  sizeRef.current = size;

  // Fit on first layout and on resize until the annotator zooms or pans themselves.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => {
      const next = { width: el.clientWidth, height: el.clientHeight };
      setSize(next);
      if (!userMoved.current && next.width > 0) setView(fitToWindow(image, next));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [image.width, image.height]);

  props.controller.current = {
    fit: () => {
      userMoved.current = false;
      setView(fitToWindow(image, sizeRef.current));
    },
    zoomBy: (factor) => {
      userMoved.current = true;
      const s = sizeRef.current;
      setView((v) => zoomAboutPoint(v, factor, { x: s.width / 2, y: s.height / 2 }));
    },
  };

  // Wheel must be non-passive to stop the page from scrolling; Preact's onWheel is passive.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      userMoved.current = true;
      const at = local(el, e);
      const factor = wheelZoomFactor(e.deltaY, e.deltaMode, e.ctrlKey);
      setView((v) => zoomAboutPoint(v, factor, at));
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, []);

  const onPointerDown = (e: PointerEvent) => {
    const el = box.current;
    if (!el) return;
    const at = local(el, e);
    pointers.current.set(e.pointerId, at);
    try {
      el.setPointerCapture(e.pointerId); // keep receiving moves outside the viewport
    } catch {
      // the pointer is already gone (or synthetic); the gesture still works inside
    }
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()] as [Vec2, Vec2];
      setDrag(null);
      gesture.current = {
        kind: "pinch",
        startDist: distance(a, b),
        startMid: midpoint(a, b),
        startView: viewRef.current,
      };
      return;
    }
    if (pointers.current.size > 2) return;
    const hit = (e.target as Element).closest<SVGElement>("[data-index]");
    if (hit && e.button === 0) {
      const index = Number(hit.dataset.index);
      const target = hit.dataset.kind === "prediction" ? "prediction" : "point";
      gesture.current = { kind: "drag", index, target, start: at, moved: false };
      return;
    }
    gesture.current = {
      kind: "pan",
      start: at,
      startView: viewRef.current,
      moved: false,
      button: e.button,
      shift: e.shiftKey,
    };
  };

  const onPointerMove = (e: PointerEvent) => {
    const el = box.current;
    if (!el || !pointers.current.has(e.pointerId)) return;
    const at = local(el, e);
    pointers.current.set(e.pointerId, at);
    const g = gesture.current;
    if (g.kind === "pinch" && pointers.current.size >= 2) {
      const [a, b] = [...pointers.current.values()] as [Vec2, Vec2];
      const mid = midpoint(a, b);
      const zoomed = zoomAboutPoint(
        g.startView,
        distance(a, b) / Math.max(1, g.startDist),
        g.startMid,
      );
      userMoved.current = true;
      setView(panBy(zoomed, mid.x - g.startMid.x, mid.y - g.startMid.y));
    } else if (g.kind === "pan") {
      if (!g.moved && distance(at, g.start) < CLICK_SLOP_PX) return;
      g.moved = true;
      userMoved.current = true;
      setView(panBy(g.startView, at.x - g.start.x, at.y - g.start.y));
    } else if (g.kind === "drag") {
      if (!g.moved && distance(at, g.start) < CLICK_SLOP_PX / 2) return;
      g.moved = true;
      setDrag({ index: g.index, target: g.target, xy_image: screenToImage(viewRef.current, at) });
    }
  };

  const onPointerUp = (e: PointerEvent) => {
    const el = box.current;
    if (!el || !pointers.current.has(e.pointerId)) return;
    const at = local(el, e);
    pointers.current.delete(e.pointerId);
    const g = gesture.current;
    if (pointers.current.size > 0) {
      // One finger of a pinch lifted: the gesture is over, and it was never a click.
      gesture.current = { kind: "none" };
      return;
    }
    gesture.current = { kind: "none" };
    if (e.type === "pointercancel") {
      setDrag(null);
      return;
    }
    if (g.kind === "pan" && !g.moved && g.button === 0) {
      const xy = screenToImage(viewRef.current, at);
      const tolerance = 4 / viewRef.current.scale;
      const inside =
        xy.x >= -tolerance &&
        xy.y >= -tolerance &&
        xy.x <= image.width + tolerance &&
        xy.y <= image.height + tolerance;
      if (inside) props.onPlace(xy, g.shift);
    } else if (g.kind === "drag") {
      setDrag(null);
      if (!g.moved)
        props.onSelect(nextInStack(markersAt(e.clientX, e.clientY), props.active) ?? g.index);
      else {
        const xy = screenToImage(viewRef.current, at);
        if (g.target === "point") props.onMove(g.index, xy);
        else props.onMovePrediction(g.index, xy);
      }
    }
  };

  const predictions: Map<string, PredictedPoint> = props.showPredictions
    ? predictionByName(props.prediction)
    : new Map();
  return (
    <div
      ref={box}
      class="viewport"
      role="application"
      aria-label="Image viewport"
      data-scale={view.scale.toFixed(4)}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onContextMenu={(e) => e.preventDefault()}
    >
      <img
        class="viewport-image"
        src={props.src}
        alt={image.original_name}
        draggable={false}
        decoding="async"
        onError={() => setImageError(true)}
        onLoad={() => setImageLoaded(true)}
        style={{
          width: `${image.width}px`,
          height: `${image.height}px`,
          transform: cssMatrix(view),
          imageRendering: view.scale >= 2 ? "pixelated" : "auto",
          filter: props.imageFilter || undefined,
        }}
      />
      <svg class="overlay" width={size.width} height={size.height}>
        <Markers
          schema={props.schema}
          points={props.points}
          predictions={predictions}
          active={props.active}
          allLabels={props.allLabels}
          drag={drag}
          toScreen={(xy) => imageToScreen(view, xy)}
        />
      </svg>
      {imageError && (
        <p class="viewport-error" role="alert">
          The image file could not be loaded.
        </p>
      )}
      {!imageLoaded && !imageError && (
        <p class="viewport-loading">
          Loading {image.width}×{image.height} image…
        </p>
      )}
      <span class="zoom-level" aria-label="Zoom level">
        {Math.round(view.scale * 100)}%
      </span>
      {!isPlaced(props.points[props.active]) && (
        <span class="place-hint">
          Click to place <b>{props.points[props.active]?.name}</b>
          {predictions.has(props.points[props.active]?.name ?? "")
            ? " · A accepts the prediction"
            : ""}
        </span>
      )}
    </div>
  );
}

/** Keypoint indices of the markers under a point of the page, topmost first, each once. */
function markersAt(clientX: number, clientY: number): number[] {
  const stack: number[] = [];
  for (const el of document.elementsFromPoint(clientX, clientY)) {
    const marker = el.closest<SVGElement>(".overlay [data-index]");
    const index = marker ? Number(marker.dataset.index) : NaN;
    if (Number.isInteger(index) && !stack.includes(index)) stack.push(index);
  }
  return stack;
}

function local(el: HTMLElement, e: MouseEvent): Vec2 {
  const rect = el.getBoundingClientRect();
  return { x: e.clientX - rect.left, y: e.clientY - rect.top };
}
