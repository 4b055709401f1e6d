/**
 * SVG markers in screen space. Shapes tell where a point came from:
 *   human point            filled circle in the keypoint's colour (occluded: dark, with a dashed
 *                          ring in its colour over a white halo, visible on dark and light frames)
 *   accepted prediction    filled square in the keypoint's colour (source "prediction", unmoved)
 *   prediction (proposed)  hollow dashed diamond coloured by confidence (red → green)
 */
import type { Vec2 } from "../core/geometry";
import { colorsByName } from "../core/colors";
import { confidenceColor, isPlaced } from "../core/keypoints";
import type { KeypointSchema, Point, PredictedPoint } from "../core/types";

export interface DragPreview {
  index: number;
  target: "point" | "prediction";
  xy_image: Vec2;
}

interface Props {
  schema: KeypointSchema;
  points: readonly Point[];
  predictions: Map<string, PredictedPoint>;
  active: number;
  /** Name every shown keypoint, not only the selected one. */
  allLabels: boolean;
  drag: DragPreview | null;
  toScreen: (xy_image: Vec2) => Vec2;
}

const R = 7;

export function Markers({ schema, points, predictions, active, allLabels, drag, toScreen }: Props) {
  const colorOf = colorsByName(schema.keypoints);
  const indexOf = new Map(points.map((p, i) => [p.name, i]));

  // Image position of each placed point, with the point being dragged shown where it is now.
  const placed = points.map((p, i): Vec2 | null => {
    if (drag && drag.index === i && drag.target === "point") return drag.xy_image;
    return isPlaced(p) && p.x !== null && p.y !== null ? { x: p.x, y: p.y } : null;
  });

  // Where a keypoint is shown: its placed position, else its (visible) prediction.
  const proposed = (i: number | undefined): Vec2 | null => {
    if (i === undefined) return null;
    if (drag && drag.index === i && drag.target === "prediction") return drag.xy_image;
    const p = points[i];
    return p ? (predictions.get(p.name) ?? null) : null;
  };
  const bones = schema.skeleton.flatMap(([a, b], k) => {
    const ia = indexOf.get(a);
    const ib = indexOf.get(b);
    const pa = ia === undefined ? null : placed[ia];
    const pb = ib === undefined ? null : placed[ib];
    const qa = pa ?? proposed(ia);
    const qb = pb ?? proposed(ib);
    if (!qa || !qb) return [];
    const sa = toScreen(qa);
    const sb = toScreen(qb);
    const tentative = !pa || !pb; // a bone to a prediction is drawn dashed and faint
    return [
      <line
        key={`bone-${k}`}
        class={tentative ? "bone tentative" : "bone"}
        x1={sa.x}
        y1={sa.y}
        x2={sb.x}
        y2={sb.y}
        stroke={colorOf.get(a) ?? "#fff"}
      />,
    ];
  });

  const proposals = points.flatMap((p, i) => {
    const pred = predictions.get(p.name);
    if (!pred || isPlaced(p)) return [];
    const xy = drag && drag.index === i && drag.target === "prediction" ? drag.xy_image : pred;
    const s = toScreen(xy);
    const color = confidenceColor(pred.confidence);
    const d = R + 5;
    return [
      <g
        key={`pred-${p.name}`}
        class={`marker prediction${i === active ? " active" : ""}`}
        data-index={i}
        data-kind="prediction"
        data-name={p.name}
        aria-label={`${p.name} predicted, confidence ${Math.round(pred.confidence * 100)}%`}
        role="img"
      >
        <title>{`${p.name}: predicted, confidence ${pred.confidence.toFixed(2)}`}</title>
        <circle class="hit" cx={s.x} cy={s.y} r={R * 2} />
        <polygon
          points={`${s.x},${s.y - d} ${s.x + d},${s.y} ${s.x},${s.y + d} ${s.x - d},${s.y}`}
          fill="rgba(0,0,0,0.15)"
          stroke={color}
          stroke-width={2.5}
          stroke-dasharray="5 3"
        />
        <circle cx={s.x} cy={s.y} r={3} fill={colorOf.get(p.name) ?? "#fff"} />
        {i === active && <circle class="active-ring" cx={s.x} cy={s.y} r={R + 9} />}
      </g>,
    ];
  });

  const humans = points.flatMap((p, i) => {
    const xy = placed[i];
    if (!xy) return [];
    const s = toScreen(xy);
    const color = colorOf.get(p.name) ?? "#fff";
    const occluded = p.visibility === "occluded";
    const fromPrediction = p.source === "prediction" && !(drag && drag.index === i);
    const fill = occluded ? "rgba(0,0,0,0.35)" : color;
    return [
      <g
        key={`pt-${p.name}`}
        class={`marker point${i === active ? " active" : ""}`}
        data-index={i}
        data-kind="point"
        data-name={p.name}
        data-visibility={p.visibility}
        data-source={p.source}
        aria-label={`${p.name} ${p.visibility}${p.source === "prediction" ? " (accepted prediction)" : ""}`}
        role="img"
      >
        <title>{`${p.name}: ${p.visibility}${fromPrediction ? ", accepted prediction" : ""}`}</title>
        <circle class="hit" cx={s.x} cy={s.y} r={R * 2} />
        {/* An occluded point has a white halo under its dashed ring, so it shows on dark frames too. */}
        {occluded && (
          <circle
            class="occluded-halo"
            cx={s.x}
            cy={s.y}
            r={R + 1}
            fill="none"
            stroke="#fff"
            stroke-width={5}
          />
        )}
        {fromPrediction ? (
          <rect
            x={s.x - R}
            y={s.y - R}
            width={2 * R}
            height={2 * R}
            fill={fill}
            stroke={occluded ? color : "#fff"}
            stroke-width={occluded ? 2.5 : 1.5}
          />
        ) : (
          <circle
            cx={s.x}
            cy={s.y}
            r={R}
            fill={fill}
            stroke={occluded ? color : "#fff"}
            stroke-width={occluded ? 2.5 : 1.5}
            stroke-dasharray={occluded ? "3 2" : undefined}
          />
        )}
        {i === active && <circle class="active-ring" cx={s.x} cy={s.y} r={R + 5} />}
      </g>,
    ];
  });

  const labelled = allLabels ? points.map((_, i) => i) : [active];
  const labels = labelled.map((i) =>
    labelFor(points, predictions, i, i === active, placed, toScreen),
  );
  return (
    <>
      <g class="bones">{bones}</g>
      <g class="predictions">{proposals}</g>
      <g class="points">{humans}</g>
      <g class="labels">{labels}</g>
    </>
  );
}

function labelFor(
  points: readonly Point[],
  predictions: Map<string, PredictedPoint>,
  index: number,
  isActive: boolean,
  placed: (Vec2 | null)[],
  toScreen: (xy: Vec2) => Vec2,
) {
  const p = points[index];
  if (!p) return null;
  const xy = placed[index] ?? predictions.get(p.name) ?? null;
  if (!xy) return null;
  const s = toScreen(xy);
  return (
    <text
      key={`label-${p.name}`}
      class={isActive ? "marker-label active" : "marker-label"}
      x={s.x + 14}
      y={s.y - 10}
      data-name={p.name}
    >
      {p.name}
    </text>
  );
}
