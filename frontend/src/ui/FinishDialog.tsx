import type { Unaccepted } from "../core/finishing";
import { Modal } from "./Dialogs";

/** Asked before "done" would leave confident predictions unaccepted (core/finishing). */
export function FinishDialog({
  left,
  threshold,
  onAcceptAndFinish,
  onFinish,
  onCancel,
}: {
  left: readonly Unaccepted[];
  threshold: number;
  onAcceptAndFinish: () => void;
  onFinish: () => void;
  onCancel: () => void;
}) {
  const n = left.length;
  return (
    <Modal title="Finish with predictions not accepted?" onClose={onCancel}>
      <p>
        {n === 1 ? "1 keypoint has" : `${n} keypoints have`} a prediction at or above{" "}
        {Math.round(threshold * 100)} % that you did not accept. Marked done as it is,{" "}
        {n === 1 ? "it stays" : "they stay"} unlabeled:
      </p>
      <ul class="finish-left" aria-label="Predictions not accepted">
        {left.map((k) => (
          <li key={k.name}>
            {k.name} — predicted {Math.round(k.confidence * 100)} %
          </li>
        ))}
      </ul>
      <div class="modal-actions">
        <button type="button" class="primary" autofocus onClick={onAcceptAndFinish}>
          Accept {n} and finish
        </button>
        <button type="button" onClick={onFinish}>
          Finish without them
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}
