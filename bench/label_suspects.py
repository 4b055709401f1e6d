"""How well suspect-label scoring finds known errors (issue 17 item 5).

Injects errors into 5 % of the train keypoints of a COCO keypoints set, in three equal parts:
`swap` (the two points of a pair exchanged; both count), `displaced` (moved 10-30 % of the
bbox's longer side in a random direction, kept inside the image) and `moved_to_other` (put on
another keypoint's spot of the same animal). Then it retrains with the shipped CPU defaults
(`worker.retrain_config.build_config`, the worker's builder; the bench's `--steps` overrides the
step count, as an admin can), fits the calibration curve on the clean validation images as the
worker does (`worker.evaluating.evaluate_samples`), scores the train labels with the worker's
scorer (`worker.label_suspects.score_project`) and reports, with k = the number of injected
errors, precision / recall / F1 of the top-k suspects: overall, and per error type (type t's
errors ranked among the clean labels only, top k_t). It also reports what the worker would
store (score >= MIN_SCORE).

tiger_pose has no left/right flip pairs (its README: the a/b legs are not consistently left
and right), so training runs without flip pairs, as a project without them would, and the
scorer is given the four a/b leg pairs (`--pairs`) as the pairs to test for swaps.

    D=../shared/data/tiger_pose
    .venv/bin/python bench/label_suspects.py --coco $D/annotations.json --images $D/images \
        --validation-from 200 --seed 0
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend import data_layout
from backend.calibration import Calibration
from worker.evaluating import evaluate_samples
from worker.label_suspects import MIN_SCORE, LabeledImage, ProjectLabels, score_project
from worker.ml.config import device_defaults
from worker.ml.data import LabeledSample, UnlabeledSample, list_images, read_coco
from worker.ml.predict import Predictor
from worker.ml.train import train
from worker.retrain_config import RetrainOptions, build_config
from worker.suspect_signals import combine

TIGER_PAIRS = [
    ("hind_leg_a_hock", "hind_leg_b_hock"), ("hind_leg_a_paw", "hind_leg_b_paw"),
    ("front_leg_a_elbow", "front_leg_b_elbow"), ("front_leg_a_paw", "front_leg_b_paw"),
]  # fmt: skip
TYPES = ("swap", "displaced", "moved_to_other")
Injected = dict[tuple[int, int], str]  # (image index, keypoint) -> error type


def inject(
    samples: list[LabeledSample],
    pairs: list[tuple[int, int]],
    fraction: float,
    rng: np.random.Generator,
) -> tuple[list[LabeledSample], Injected]:
    """Copies of `samples` with errors in `fraction` of the labeled keypoints, and where."""
    labeled = [(i, int(k)) for i, s in enumerate(samples) for k in np.nonzero(s.visibility > 0)[0]]
    per_type = max(1, round(fraction * len(labeled) / len(TYPES)))
    xy = [s.keypoints_xy.copy() for s in samples]
    used: set[tuple[int, int]] = set()
    injected: Injected = {}
    swaps = [
        (i, a, b)
        for i, s in enumerate(samples)
        for a, b in pairs
        if (s.visibility[[a, b]] > 0).all()
    ]
    for index in rng.permutation(len(swaps)):
        i, a, b = swaps[index]
        if len([t for t in injected.values() if t == "swap"]) >= per_type:
            break
        if (i, a) in used or (i, b) in used:
            continue
        xy[i][[a, b]] = xy[i][[b, a]]
        for k in (a, b):
            used.add((i, int(k)))
            injected[(i, int(k))] = "swap"
    free = [p for p in labeled if p not in used]
    chosen = rng.permutation(len(free))[: 2 * per_type]
    for n, index in enumerate(chosen):
        i, k = free[index]
        sample = samples[i]
        if n < per_type:
            side = max(sample.bbox[2], sample.bbox[3]) if sample.bbox else sample.normalizer()
            angle, length = rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.3) * side
            width, height = image_size(sample)
            moved = sample.keypoints_xy[k] + length * np.array([np.cos(angle), np.sin(angle)])
            xy[i][k] = np.clip(moved, 0, [width - 1, height - 1])
            injected[(i, int(k))] = "displaced"
        else:
            others = [j for j in np.nonzero(sample.visibility > 0)[0] if j != k]
            xy[i][k] = sample.keypoints_xy[rng.choice(others)]
            injected[(i, int(k))] = "moved_to_other"
    noisy = [replace(s, keypoints_xy=xy[i]) for i, s in enumerate(samples)]
    return noisy, injected


def image_size(sample: LabeledSample) -> tuple[int, int]:
    assert isinstance(sample.image, (str, Path)), "read_coco gives file paths"
    with Image.open(sample.image) as image:
        return image.size


def frame_split(
    samples: list[LabeledSample], files: list[str], first_validation_frame: int
) -> tuple[list[LabeledSample], list[LabeledSample]]:
    """Frames numbered below N train, the rest validate (frames of a video are near-duplicates,
    so a random split would leak)."""
    frames = [int(re.findall(r"(\d+)", Path(f).stem)[-1]) for f in files]
    train_set = [s for s, n in zip(samples, frames, strict=True) if n < first_validation_frame]
    validation = [s for s, n in zip(samples, frames, strict=True) if n >= first_validation_frame]
    if not train_set or not validation:
        sys.exit(f"frame {first_validation_frame} leaves {len(train_set)} train images")
    return train_set, validation


def top_k(scores: np.ndarray, candidates: list[tuple[int, int]], k: int) -> list[tuple[int, int]]:
    order = sorted(candidates, key=lambda p: -scores[p])
    return order[:k]


def evaluate(scores: np.ndarray, labeled: np.ndarray, injected: Injected) -> list[dict[str, Any]]:
    everything = [(int(i), int(k)) for i, k in zip(*np.nonzero(labeled), strict=True)]
    rows = []
    picked = set(top_k(scores, everything, len(injected)))
    hits = len(picked & set(injected))
    rows.append(_prf("all", hits, len(picked), len(injected)))
    for kind in TYPES:
        mine = {p for p, t in injected.items() if t == kind}
        candidates = [p for p in everything if p not in injected or p in mine]
        picked_t = set(top_k(scores, candidates, len(mine)))
        row = _prf(kind, len(picked_t & mine), len(picked_t), len(mine))
        row["recall_in_overall_top_k"] = round(len(picked & mine) / max(len(mine), 1), 3)
        rows.append(row)
    stored = {p for p in everything if scores[p] >= MIN_SCORE}
    rows.append(
        _prf(
            f"stored (score >= {MIN_SCORE})",
            len(stored & set(injected)),
            len(stored),
            len(injected),
        )
    )
    return rows


def _prf(kind: str, hits: int, picked: int, positives: int) -> dict[str, Any]:
    precision = hits / picked if picked else 0.0
    recall = hits / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "type": kind, "errors": positives, "picked": picked, "hits": hits,
        "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coco", type=Path, required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--unlabeled", type=Path, default=None, help="an unlabeled pool (semi)")
    parser.add_argument("--name", default=None, help="the dataset's name (default: its folder)")
    parser.add_argument("--validation-from", type=int, default=200, help="first validation frame")
    parser.add_argument("--fraction", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="override the default's steps")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="score the model an earlier run of the same seed and pool left, without training "
        "(after a change to the scorer: the errors injected are the same, by seed)",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/label_suspects.jsonl"))
    args = parser.parse_args()
    if not args.coco.is_file():
        sys.exit(f"{args.coco} not found (the shared data set, see ../shared/data/README.md)")
    torch.set_num_threads(args.threads)
    schema, samples, files = read_coco(args.coco, args.images)
    names = schema.names
    category = next(
        c for c in json.loads(args.coco.read_text())["categories"] if c.get("keypoints")
    )
    edges = [(a - 1, b - 1) for a, b in category.get("skeleton", [])]  # COCO is 1-based
    pairs = schema.flip_pairs or [
        (names.index(a), names.index(b)) for a, b in TIGER_PAIRS if {a, b} <= set(names)
    ]  # no pairs at all (reaching_mouse): no swaps are injected, and none are tested for
    train_set, validation = frame_split(samples, files, args.validation_from)
    rng = np.random.default_rng(args.seed)
    noisy, injected = inject(train_set, pairs, args.fraction, rng)
    pool = [UnlabeledSample(p) for p in list_images(args.unlabeled)] if args.unlabeled else []
    options = RetrainOptions(seed=args.seed, max_steps=args.steps)
    config = replace(
        build_config(options, "cpu", bool(pool), device_defaults("cpu")), max_minutes=None
    )
    dataset = args.name or args.coco.parent.name
    workdir = (
        Path("/tmp/keyloop_bench/label_suspects") / f"{dataset}_seed{args.seed}_pool{len(pool)}"
    )
    version = workdir / "version"
    print(f"train {len(noisy)} ({len(injected)} keypoints wrong), validation {len(validation)}, "
          f"unlabeled {len(pool)}; {config.max_steps} steps", flush=True)  # fmt: skip
    if args.rescore:
        if not data_layout.version_weights(version).is_file():
            sys.exit(f"--rescore: no model in {version}; run once without it")
        steps, train_s = None, None
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        started = time.monotonic()
        result = train(config, schema, noisy, pool if config.loss.semi_supervised else [],
                       validation, checkpoint_dir=workdir)  # fmt: skip
        steps, train_s = result.step, round(time.monotonic() - started)
        version.mkdir(exist_ok=True)
        shutil.copyfile(result.best_checkpoint, data_layout.version_weights(version))
    metrics = evaluate_samples(
        Predictor.from_checkpoint(data_layout.version_weights(version)),
        validation,
        names,
        config.pck_alpha,
    )
    project = ProjectLabels(0, names, list(pairs), edges, [
        LabeledImage(i, Path(str(s.image)), None, image_size(s), 0,
                     np.where((s.visibility > 0)[:, None], s.keypoints_xy, np.nan))
        for i, s in enumerate(noisy)
    ])  # fmt: skip
    started = time.monotonic()
    calibration = Calibration.from_dict(metrics.get("calibration"))
    scored = score_project(project, str(version), calibration, config.pck_alpha, config.sigma)
    score_s = time.monotonic() - started
    method = "semi" if config.loss.semi_supervised else "supervised_matched"
    base = {
        "dataset": dataset, "validation_from": args.validation_from,
        "seed": args.seed, "fraction": args.fraction, "steps": steps, "method": method,
        "input_size": config.model.input_size, "val_pck": metrics.get("pck"),
        "calibrated": calibration is not None, "train_s": train_s,
        "score_s": round(score_s, 1), "threads": args.threads, "steps_override": args.steps,
        "rescored": args.rescore,
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    labeled = np.isfinite(np.stack([i.xy for i in project.images])).all(axis=2)
    # What the worker stores (`vouched`: the noisy-OR bounded by the model's word), and the
    # plain noisy-OR of the same evidence beside it, so the bound's effect is measured in one run.
    noisy_or = combine([e.values for e in scored.evidence.values()], labeled)
    with args.out.open("a") as out:
        for scorer, score in (("vouched", scored.score), ("noisy_or", noisy_or)):
            for row in evaluate(score, labeled, injected):
                row = {**base, "scorer": scorer, **row}
                print(json.dumps(row), flush=True)
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
