"""Where a trained model's test errors come from: per keypoint, and which keypoints it mistakes
for which (a prediction nearer another keypoint's truth than its own, and off by more than
alpha of the normaliser). Reads the checkpoints `ml_label_efficiency.py` leaves in
/tmp/keyloop_bench, on the same split, so a row's PCK can be taken apart.

    .venv/bin/python bench/ml_error_anatomy.py --coco $D/annotations.json --images $D/images \
        --split frame:200 /tmp/keyloop_bench/tiger_pose_teacher_0.1_1_<digest>/last.pt

`--weights teacher` reads a mean-teacher run's teacher instead of the student.
`--swappable 4,5:7,6 --swappable 8,9:10,11` also scores each image with the best of the
assignments that exchange those groups (tiger_pose's legs a and b are not consistently left
and right), to tell a wrong side from a wrong place.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml_label_efficiency import split

from worker.ml.checkpoint import load_checkpoint
from worker.ml.data import prepare_labeled, read_coco
from worker.ml.metrics import pck
from worker.ml.predict import Predictor, predict_input, to_image_space


def confusions(
    predicted: NDArray[np.float64],
    truth: NDArray[np.float64],
    labeled: NDArray[np.bool_],
    normalizer: NDArray[np.float64],
    alpha: float,
) -> Counter[tuple[int, int]]:
    """(k, j) -> how many images put keypoint k nearer j's truth than k's, and misplaced it."""
    counts: Counter[tuple[int, int]] = Counter()
    for n in range(len(predicted)):
        for k in np.flatnonzero(labeled[n]):
            distances = np.linalg.norm(truth[n] - predicted[n, k], axis=-1)
            distances[~labeled[n]] = np.inf
            nearest = int(distances.argmin())
            if nearest != k and distances[k] > alpha * normalizer[n]:
                counts[(int(k), nearest)] += 1
    return counts


def best_assignment(
    predicted: NDArray[np.float64],
    truth: NDArray[np.float64],
    labeled: NDArray[np.bool_],
    swappable: list[tuple[list[int], list[int]]],
) -> NDArray[np.float64]:
    """Per image, the predictions with each group pair exchanged or not, whichever assignment
    is nearest the truth in total."""
    best = predicted.copy()
    for n in range(len(predicted)):
        lowest = np.inf
        for exchange in itertools.product((False, True), repeat=len(swappable)):
            candidate = predicted[n].copy()
            for (a, b), swap in zip(swappable, exchange, strict=True):
                if swap:
                    candidate[a + b] = predicted[n][b + a]
            error = np.linalg.norm(candidate - truth[n], axis=-1)[labeled[n]].sum()
            if error < lowest:
                lowest, best[n] = error, candidate
    return best


def parse_swappable(items: list[str]) -> list[tuple[list[int], list[int]]]:
    pairs = []
    for item in items:
        a, b = item.split(":")
        pairs.append(([int(i) for i in a.split(",")], [int(i) for i in b.split(",")]))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoints", type=Path, nargs="+")
    parser.add_argument("--coco", type=Path, required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--split", default="frame:200", help="as ml_label_efficiency.py")
    parser.add_argument("--weights", choices=["model", "teacher"], default="model")
    parser.add_argument("--alpha", type=float, default=0.1)
    parser.add_argument("--swappable", action="append", default=[], help="e.g. 4,5:7,6")
    args = parser.parse_args()
    schema, samples, files = read_coco(args.coco, args.images)
    _, test = split(samples, files, args.split)
    truth = np.stack([s.keypoints_xy for s in test]).astype(np.float64)
    labeled = np.stack([s.visibility > 0 for s in test])
    norm = np.array([s.normalizer() for s in test], dtype=np.float64)
    for path in args.checkpoints:
        model = Predictor.from_checkpoint(path).model  # the student, without ImageNet weights
        if args.weights == "teacher":
            teacher = load_checkpoint(path, "cpu").get("teacher")
            if teacher is None:  # best.pt keeps the student alone; last.pt has the teacher
                parser.error(f"{path} holds no teacher: pass a mean-teacher run's last.pt")
            model.load_state_dict(teacher)
        prepared = prepare_labeled(test, model.config.input_size, "supervise")
        xy_input, _, _ = predict_input(model, prepared.images, torch.device("cpu"))
        predicted = to_image_space(xy_input, prepared.boxes)
        result = pck(predicted, truth, labeled, norm, args.alpha)
        error = np.linalg.norm(predicted - truth, axis=-1) / norm[:, None]
        print(f"{path.parent.name} ({args.weights}): PCK@{args.alpha} {result.pck:.3f}")
        if args.swappable:
            either = best_assignment(predicted, truth, labeled, parse_swappable(args.swappable))
            either_pck = pck(either, truth, labeled, norm, args.alpha).pck
            print(f"  with the best assignment of the swappable groups: {either_pck:.3f}")
        for k, name in enumerate(schema.names):
            own = error[labeled[:, k], k]
            print(f"  {name:24s} median {np.median(own):.3f}  mean {own.mean():.3f} (of the norm.)")
        mistaken = confusions(predicted, truth, labeled, norm, args.alpha)
        for (k, j), count in mistaken.most_common(6):
            print(f"  {schema.names[k]} put on {schema.names[j]}: {count} of {labeled[:, k].sum()}")


if __name__ == "__main__":
    main()
