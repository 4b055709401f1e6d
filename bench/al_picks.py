"""Does active learning ask for the images the model gets wrong? Read off trained checkpoints.

A checkpoint of a label-efficiency run (bench/ml_label_efficiency.py, same `--coco`, `--split`,
`--fraction` and the run's seed) was trained on known images; the other train images had their
labels hidden. The worker's scoring (`worker.ml.uncertainty` with the worker's
`UncertaintyConfig`: measure, combine, k-center order on z with the labeled images as the
reference, as `worker.active_learning.score_version` does) orders those hidden-label images,
and their labels say how wrong the model is on each. Per checkpoint:

- `picks_moves`: keypoints the annotator would move (prediction > 0.05 l from the truth, as
  bench/active_learning.py's simulated annotator: `count_moves`) per
  image in the first `--batch` picks, against `pool_moves`, the pool's mean (a random batch's
  expectation). Their ratio is how much more work, i.e. how much more teaching, a pick holds.
- `rho_score`: Spearman correlation over the pool between the image score and the image's mean
  error / l; `rho` per signal (its image mean), to see which signal carries the information,
  and `rho_without` per signal: the score's correlation with that signal left out.
- `kcn_accuracy`: the share of the pool's labels whose z (read at the label, as training reads
  it) the keypoint classifier names as its own keypoint. A readout classifier (SC off or on
  the classifier only) is first fit as training now saves it (`worker/ml/classifier_fit.py`).

Inference only (seconds per checkpoint); the active-learning bench (bench/active_learning.py)
is the end-to-end measure, at a retraining per round.

    D=../shared/data/tiger_pose
    .venv/bin/python bench/al_picks.py --coco $D/annotations.json --images $D/images \\
        --split frame:200 --seed 2 /tmp/keyloop_bench/tiger_pose_semi_0.1_2_<digest>/last.pt
    .venv/bin/python bench/al_picks.py --table bench/results/al_picks.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from active_learning import count_moves
from ml_label_efficiency import labeled_split, split

from worker.ml.checkpoint import load_checkpoint
from worker.ml.classifier_fit import fit_classifier
from worker.ml.config import TrainConfig
from worker.ml.data import LabeledSample, prepare_labeled, read_coco
from worker.ml.label_readout import read_labels
from worker.ml.predict import Predictor, to_image_space
from worker.ml.uncertainty import (
    SIGNALS,
    Signals,
    UncertaintyConfig,
    labeling_order,
    measure,
    rank_normalize,
)


def measure_checkpoint(
    checkpoint: Path,
    labeled: list[LabeledSample],
    hidden: list[LabeledSample],
    batch: int,
    as_saved: bool = False,
) -> dict[str, Any]:
    config = TrainConfig.from_dict(load_checkpoint(checkpoint)["config"])
    predictor = Predictor.from_checkpoint(checkpoint)
    model, device = predictor.model, predictor.device
    size = config.model.input_size
    labeled_set = prepare_labeled(labeled, size, config.loss.occluded)
    refit = config.loss.classifier_is_readout and not as_saved
    if refit:
        # What training saves since the KCN is fit at saves (idempotent: the fit depends on the
        # network alone), so checkpoints from before read as a retraining now ships them.
        fit_classifier(model, labeled_set, config.sigma, device)
    pool = prepare_labeled(hidden, size, "supervise")
    # The worker's scoring, unchanged: all keypoints still need a label on a hidden image.
    signals = measure(model, pool.images, config.model.heatmap_stride, UncertaintyConfig(), device)
    _, scores, order = labeling_order(model, signals, labeled_set.images, device)

    predicted = to_image_space(torch.from_numpy(signals.xy_input).float(), pool.boxes)
    error, moves = image_errors(hidden, predicted)
    picks = order[:batch]
    readout = read_labels(
        model, pool.images, pool.xy_input, pool.supervised, config.sigma, device
    )  # fmt: skip
    named = np.nanargmax(np.nan_to_num(readout.label_probs, nan=-1.0), axis=-1)
    own = named == np.arange(named.shape[1])[None, :]
    return {
        "checkpoint": str(checkpoint),
        "variant": variant_of(config),
        "classifier": "fit" if refit else "as saved",
        "pool": len(hidden),
        "batch": batch,
        "warps": UncertaintyConfig().num_warps,
        "picks_moves": float(moves[picks].mean()),
        "pool_moves": float(moves.mean()),
        "picks_error": float(error[picks].mean()),
        "pool_error": float(error.mean()),
        "rho_score": rho(scores, error),
        "rho": {name: rho(getattr(signals, name).mean(axis=1), error) for name in SIGNALS},
        "rho_without": {name: rho(score_without(signals, name), error) for name in SIGNALS},
        "kcn_accuracy": float(own[pool.supervised.numpy()].mean()),
    }


def score_without(signals: Signals, left_out: str) -> np.ndarray:
    """The image score `combine` would give without one signal (equal weights, ranks)."""
    kept = [rank_normalize(getattr(signals, name)) for name in SIGNALS if name != left_out]
    result: np.ndarray = np.mean(kept, axis=0).mean(axis=1)
    return result


def image_errors(
    samples: list[LabeledSample], predicted_xy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per image: mean error / l over its labeled keypoints, and how many the simulated
    annotator of bench/active_learning.py would move."""
    errors, moves = [], []
    for sample, xy in zip(samples, predicted_xy, strict=True):
        shown = sample.visibility > 0
        relative = np.linalg.norm(xy - sample.keypoints_xy, axis=-1)[shown] / sample.normalizer()
        errors.append(float(relative.mean()) if shown.any() else 0.0)
        moves.append(count_moves(sample, xy))
    return np.asarray(errors), np.asarray(moves, dtype=np.float64)


def rho(values: np.ndarray, error: np.ndarray) -> float:
    if np.ptp(values) == 0:
        return 0.0  # a constant signal orders nothing
    return float(spearmanr(values, error).statistic)


def variant_of(config: TrainConfig) -> str:
    loss = config.loss
    if not loss.semi_supervised:
        return "supervised_matched" if loss.supervise_warped_view else "supervised"
    return f"semi sc_scope={loss.sc_scope}" if loss.use_sc else "semi no_sc"


def print_table(*paths: Path) -> None:
    rows = [json.loads(x) for p in paths for x in p.read_text().splitlines() if x.strip()]
    header = "| dataset | seed | method | KCN | KCN acc. | picks / pool moves | rho score |"
    print(header + "".join(f" rho {name} |" for name in SIGNALS))
    print("|---" * (7 + len(SIGNALS)) + "|")
    for r in sorted(rows, key=lambda r: (r["dataset"], r["seed"], r["variant"])):
        cells = [
            r["dataset"], str(r["seed"]), r["variant"], r.get("classifier", "as saved"),
            f"{r['kcn_accuracy']:.2f}",
            f"{r['picks_moves']:.1f} / {r['pool_moves']:.1f}", f"{r['rho_score']:+.2f}",
            *(f"{r['rho'][name]:+.2f}" for name in SIGNALS),
        ]  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    print("\nrho of the image score without one signal (combine's equal-weight rank mean)")
    print("| dataset | seed | method | KCN | all four |" + "".join(f" no {n} |" for n in SIGNALS))
    print("|---" * (5 + len(SIGNALS)) + "|")
    for r in sorted(rows, key=lambda r: (r["dataset"], r["seed"], r["variant"])):
        if "rho_without" in r:
            cells = [
                r["dataset"], str(r["seed"]), r["variant"], r.get("classifier", "as saved"),
                f"{r['rho_score']:+.2f}", *(f"{r['rho_without'][n]:+.2f}" for n in SIGNALS),
            ]  # fmt: skip
            print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coco", type=Path, required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--split", default="frame:200", help="frame:N or random:F")
    parser.add_argument("--name", default=None, help="dataset name in the rows")
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, required=True, help="the checkpoints' run seed")
    parser.add_argument("--batch", type=int, default=10, help="images asked for per round")
    parser.add_argument("--as-saved", action="store_true", help="no classifier fit (the old KCN)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/al_picks.jsonl"))
    parser.add_argument("checkpoints", type=Path, nargs="+")
    args = parser.parse_args()
    torch.set_num_threads(1)
    _, samples, files = read_coco(args.coco, args.images)
    train_set, _ = split(samples, files, args.split)
    labeled_at, hidden_at = labeled_split(len(train_set), args.fraction, args.seed)
    labeled = [train_set[i] for i in labeled_at]
    hidden = [train_set[i] for i in hidden_at]
    for checkpoint in args.checkpoints:
        row = {
            "dataset": args.name or args.coco.parent.name, "split": args.split,
            "fraction": args.fraction, "seed": args.seed,
            **measure_checkpoint(checkpoint, labeled, hidden, args.batch, args.as_saved),
        }  # fmt: skip
        print(json.dumps(row), flush=True)
        with args.out.open("a") as file:
            file.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        print_table(*(Path(arg) for arg in sys.argv[2:]))
    else:
        main()
