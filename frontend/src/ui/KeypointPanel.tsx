import { useState } from "preact/hooks";
import { colorsByName } from "../core/colors";
import { confidenceColor, isOffered, isPlaced } from "../core/keypoints";
import { keypointKey } from "../core/shortcuts";
import { keypointHint, reasonText, type QueueReason } from "../core/queueReason";
import type { KeypointSchema, Point, PredictedPoint } from "../core/types";

interface Props {
  schema: KeypointSchema;
  points: readonly Point[];
  predictions: Map<string, PredictedPoint>;
  active: number;
  /** Why the labeling queue asks for this image (uncertainty strategy), if it does. */
  reason: QueueReason | null;
  threshold: number;
  canEdit: boolean;
  onSelect: (index: number) => void;
  onThreshold: (t: number) => void;
  onAcceptAll: () => void;
  onAcceptRestAndNext: () => void;
  onVisibility: (v: "visible" | "occluded" | "unlabeled") => void;
  onAccept: () => void;
}

export function stateText(p: Point, pred: PredictedPoint | undefined): string {
  if (isPlaced(p)) return p.source === "prediction" ? `${p.visibility}, accepted` : p.visibility;
  if (!pred) return "unlabeled";
  const doubt =
    pred.doubt === "border" ? ", on the border" : pred.doubt === "weak_peak" ? ", weak" : "";
  return `predicted ${Math.round(pred.confidence * 100)}%${doubt}`;
}

export function KeypointPanel(props: Props) {
  const { schema, points, predictions, active, reason } = props;
  const colorOf = colorsByName(schema.keypoints);
  const [find, setFind] = useState("");
  const goTo = (e: Event) => {
    e.preventDefault();
    const text = find.trim().toLowerCase();
    const i = points.findIndex((p) => p.name.toLowerCase().startsWith(text));
    const j = i >= 0 ? i : points.findIndex((p) => p.name.toLowerCase().includes(text));
    if (text && j >= 0) props.onSelect(j);
    setFind("");
    (document.activeElement as HTMLElement | null)?.blur(); // keys go back to the image
  };
  const unsure = new Map(reason?.keypoints.map((k) => [k.name, k]));
  const activePoint = points[active];
  const activePred = activePoint ? predictions.get(activePoint.name) : undefined;
  const above = points.filter((p) => {
    const pred = predictions.get(p.name);
    return (
      !isPlaced(p) && pred !== undefined && isOffered(pred) && pred.confidence >= props.threshold
    );
  }).length;
  return (
    <aside class="panel" aria-label="Keypoint panel">
      <div class="kp-head">
        <h2 id="kp-heading">Keypoints</h2>
        <form class="kp-find" onSubmit={goTo} role="search">
          <input
            id="kp-find"
            type="search"
            aria-label="Go to keypoint"
            placeholder="Go to… (/)"
            value={find}
            onInput={(e) => setFind(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key !== "Escape") return;
              setFind("");
              e.currentTarget.blur();
            }}
          />
        </form>
      </div>
      {reason && (
        <p class="queue-reason" role="note" aria-label="Why this image">
          <strong>Asked for:</strong> {reasonText(reason)}
        </p>
      )}
      <ol class="keypoint-list" role="listbox" aria-labelledby="kp-heading">
        {points.map((p, i) => {
          const pred = predictions.get(p.name);
          const text = stateText(p, pred);
          const doubt = unsure.get(p.name);
          const hint = doubt && keypointHint(doubt);
          return (
            <li
              key={p.name}
              role="option"
              aria-selected={i === active}
              aria-label={`${p.name}: ${text}${hint ? `; ${hint}` : ""}`}
              class={`kp state-${isPlaced(p) ? p.visibility : pred ? "predicted" : "unlabeled"}${i === active ? " active" : ""}${doubt ? " unsure" : ""}`}
              data-name={p.name}
              data-state={text}
              onClick={() => props.onSelect(i)}
            >
              <span class="swatch" style={{ background: colorOf.get(p.name) ?? "#888" }} />
              <kbd
                class="kp-key"
                title={keypointKey(i) ? `Key ${keypointKey(i)!.toUpperCase()}` : "Tab or Go to"}
              >
                {keypointKey(i)?.toUpperCase() ?? "·"}
              </kbd>
              <span class="kp-name">
                {p.name}
                {hint && (
                  <>
                    {" "}
                    <span class="kp-unsure" title={hint}>
                      unsure
                    </span>
                  </>
                )}
              </span>
              <span class="kp-state">
                {!isPlaced(p) && pred && (
                  <span class="conf-dot" style={{ background: confidenceColor(pred.confidence) }} />
                )}
                {text}
              </span>
            </li>
          );
        })}
      </ol>
      {props.canEdit && activePoint && (
        <div class="panel-actions" aria-label="Selected keypoint actions" role="group">
          <button
            type="button"
            onClick={() => props.onVisibility("visible")}
            disabled={!isPlaced(activePoint)}
          >
            Visible (V)
          </button>
          <button
            type="button"
            onClick={() => props.onVisibility("occluded")}
            disabled={!isPlaced(activePoint)}
          >
            Occluded (O)
          </button>
          <button
            type="button"
            onClick={() => props.onVisibility("unlabeled")}
            disabled={!isPlaced(activePoint)}
          >
            Clear (Del)
          </button>
          <button
            type="button"
            onClick={props.onAccept}
            disabled={isPlaced(activePoint) || !activePred}
          >
            Accept prediction (A)
          </button>
        </div>
      )}
      {predictions.size > 0 && props.canEdit && (
        <div class="threshold">
          <label>
            Confidence threshold <output>{props.threshold.toFixed(2)}</output>
            <input
              type="range"
              min={0}
              max={1}
              step={0.05}
              value={props.threshold}
              onInput={(e) => props.onThreshold(Number(e.currentTarget.value))}
            />
          </label>
          <div class="threshold-actions">
            <button
              type="button"
              onClick={props.onAcceptAll}
              disabled={above === 0}
              title="Shift+A"
            >
              Accept {above} above threshold
            </button>
            <button
              type="button"
              class="primary"
              onClick={props.onAcceptRestAndNext}
              title="Accept those above the threshold, leave the rest unlabeled, mark done and go to the next image (Shift+Enter)"
            >
              Accept rest &amp; next
            </button>
          </div>
        </div>
      )}
      <p class="legend muted">
        ● human · ■ accepted prediction · ◇ prediction (red→green = confidence) · dashed = occluded
      </p>
    </aside>
  );
}
