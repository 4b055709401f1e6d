"""Simulated annotator: which image next, `uncertainty` versus `random`, on any COCO dataset.

The test set is fixed by `--split` (as bench/ml_label_efficiency.py: `frame:N` puts frames
numbered >= N in it, since frames of one video are near-duplicates); the other images are the
pool. Each run starts from the same `--initial` random pool images (per seed), then in rounds:
train from the ImageNet backbone with the configuration a retraining ships (the worker's
builder, `worker.retrain_config.build_config`, CPU defaults; `--set k=v` overrides a
RetrainOptions field, e.g. `sc_scope=network` for the paper's SC), the rest of the pool
unlabeled; score test PCK with the model after the last step (no test-set model selection);
pick the next `--batch` images by the strategy and reveal their ground truth. `uncertainty` is
the worker's scoring (`worker.ml.uncertainty` with the worker's UncertaintyConfig, k-center on
z with the labeled images as the reference). The annotator "moves" a keypoint when the current
model's prediction is further than 0.05 l from the truth (l: the bbox's longest side, else the
keypoints' extent); otherwise accepting it is enough.

    D=../shared/data/tiger_pose
    .venv/bin/python bench/active_learning.py --coco $D/annotations.json --images $D/images \
        --split frame:200 --rounds 4 --seeds 0 1 2 3
    # a quick look, not the shipped budget:  ... --set max_steps=40 input_size=96

Rows are appended to --out (JSON lines) as each round ends; `--table FILE...` prints a summary
per setting (dataset and overrides). Each round is one retraining (about 20 minutes on one
core at the shipped budget); bench/al_picks.py reads the same scoring off existing
checkpoints in seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ml_label_efficiency import bench_config, options_for, parse_overrides, split

from worker.ml.config import TrainConfig
from worker.ml.data import (
    KeypointSchema,
    LabeledSample,
    UnlabeledSample,
    prepare_labeled,
    read_coco,
)
from worker.ml.predict import Predictor, predict_input, to_image_space
from worker.ml.train import evaluate, train
from worker.ml.uncertainty import UncertaintyConfig, labeling_order, measure

TIGERS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tiger_pose"
MOVE_FRACTION = 0.05
LEGACY = "tiger_pose, before stop 31 (sigma 2, the paper's SC, 2 warps)"


def round_config(seed: int, overrides: dict[str, Any]) -> TrainConfig:
    """Every round retrains as the worker would: a semi run at the CPU defaults."""
    return bench_config(options_for("semi", seed, overrides), has_unlabeled=True)


def run(
    strategy: str,
    seed: int,
    data: tuple[KeypointSchema, list[LabeledSample], list[LabeledSample]],
    args: argparse.Namespace,
) -> None:
    schema, pool, test = data
    overrides = parse_overrides(args.set)
    rng = np.random.default_rng(seed)
    labeled = [int(i) for i in rng.permutation(len(pool))[: args.initial]]
    config = round_config(seed, overrides)
    size = config.model.input_size
    prepared_pool = prepare_labeled(pool, size, "supervise")
    prepared_test = prepare_labeled(test, size, "supervise")
    scoring = UncertaintyConfig(seed=seed)
    setting = (
        f"{args.name}, {config.max_steps} steps at {size} px, sigma {config.sigma}, "
        f"SC on the {config.loss.sc_scope}, {scoring.num_warps} warps, overrides {overrides}"
    )
    moved = placed = 0
    for round_index in range(args.rounds):
        started = time.monotonic()
        rest = [i for i in range(len(pool)) if i not in set(labeled)]
        result = train(
            config, schema, [pool[i] for i in labeled],
            [UnlabeledSample(pool[i].image, pool[i].roi) for i in rest], [],
            checkpoint_dir=Path("/tmp/keyloop_al") / f"{args.name}_{strategy}_{seed}_{round_index}",
        )  # fmt: skip
        predictor = Predictor.from_checkpoint(result.last_checkpoint)
        model, device = predictor.model, predictor.device
        row = {
            "setting": setting, "dataset": args.name, "overrides": overrides,
            "sc_scope": config.loss.sc_scope, "sigma": config.sigma, "steps": result.step,
            "warps": scoring.num_warps,
            "strategy": strategy, "seed": seed, "round": round_index, "labels": len(labeled),
            "test_pck": evaluate(model, prepared_test, device, 0.1).pck,
            "test_pck05": evaluate(model, prepared_test, device, 0.05).pck,
            "moved": moved, "placed": placed,
        }  # fmt: skip
        if round_index + 1 < args.rounds and rest:
            if strategy == "uncertainty":
                stride = config.model.heatmap_stride
                signals = measure(model, prepared_pool.images[rest], stride, scoring, device)
                order = labeling_order(model, signals, prepared_pool.images[labeled], device)[2]
                chosen = [rest[j] for j in order[: args.batch]]
            else:
                chosen = [int(i) for i in rng.permutation(rest)[: args.batch]]
            # What the annotator sees: the current model's prediction on each chosen image.
            xy_input = predict_input(model, prepared_pool.images[chosen], device)[0]
            xy_image = to_image_space(xy_input, [prepared_pool.boxes[i] for i in chosen])
            for i, xy in zip(chosen, xy_image, strict=True):
                moved += count_moves(pool[i], xy)
                placed += int((pool[i].visibility > 0).sum())
            labeled += chosen
        row["seconds"] = round(time.monotonic() - started, 1)
        print(json.dumps(row), flush=True)
        with args.out.open("a") as file:
            file.write(json.dumps(row) + "\n")


def count_moves(sample: LabeledSample, predicted_xy: np.ndarray) -> int:
    error = np.linalg.norm(predicted_xy - sample.keypoints_xy, axis=-1)
    far = error > MOVE_FRACTION * sample.normalizer()
    return int((far & (sample.visibility > 0)).sum())


def print_table(*paths: Path) -> None:
    rows = [
        json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()
    ]
    for setting in sorted({r.get("setting", LEGACY) for r in rows}):
        chosen = [r for r in rows if r.get("setting", LEGACY) == setting]
        print(f"\n## {setting}")
        for key, alpha in (("test_pck", 0.1), ("test_pck05", 0.05)):
            print_curves([r for r in chosen if key in r], key, alpha)
        print_placements(chosen)


def print_curves(rows: list[dict[str, Any]], key: str, alpha: float) -> None:
    if not rows:
        return
    labels = sorted({r["labels"] for r in rows})
    curves: dict[str, dict[int, float]] = {}
    print(f"\ntest PCK@{alpha}, mean over seeds (n)")
    print("strategy     " + "".join(f"{n:>12}" for n in labels))
    for strategy in ("uncertainty", "random"):
        cells, curves[strategy] = [], {}
        for n in labels:
            values = [r[key] for r in rows if r["strategy"] == strategy and r["labels"] == n]
            if values:
                curves[strategy][n] = float(np.mean(values))
            cells.append(f"{np.mean(values):.3f}({len(values)})" if values else "-")
        print(f"{strategy:<13}" + "".join(f"{c:>12}" for c in cells))
    if curves["random"] and curves["uncertainty"]:
        final_n = max(curves["random"])
        target = curves["random"][final_n]
        reached = [n for n, v in sorted(curves["uncertainty"].items()) if v >= target]
        if reached:
            print(
                f"uncertainty reaches random's final PCK {target:.3f} ({final_n} labels) at "
                f"{reached[0]} labels = {reached[0] / final_n:.0%} of random's labels"
            )
        else:
            print(f"uncertainty never reaches random's final PCK {target:.3f} ({final_n} labels)")
        start = min(curves["random"])
        if start in curves["uncertainty"]:
            noise = abs(curves["uncertainty"][start] - curves["random"][start])
            print(f"run-to-run noise: both start from the same {start} labels and differ by "
                  f"{noise:.3f} there (thread count, nondeterministic kernels)")  # fmt: skip


def print_placements(rows: list[dict[str, Any]]) -> None:
    print("\nkeypoints the annotator moved / placed by hand (all rounds, summed over seeds)")
    for strategy in ("uncertainty", "random"):
        last: dict[int, dict[str, Any]] = {}
        for r in rows:
            newer = r["seed"] not in last or r["round"] > last[r["seed"]]["round"]
            if r["strategy"] == strategy and newer:
                last[r["seed"]] = r
        moved = sum(r["moved"] for r in last.values())
        placed = sum(r["placed"] for r in last.values())
        if placed:
            print(f"{strategy:<13} moved {moved} of {placed} ({moved / placed:.0%}); "
                  f"saved {1 - moved / placed:.0%} of placements")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coco", type=Path, default=TIGERS / "annotations.json")
    parser.add_argument("--images", type=Path, default=TIGERS / "images")
    parser.add_argument("--split", default="frame:200", help="frame:N or random:F")
    parser.add_argument("--name", default=None, help="dataset name in the rows")
    parser.add_argument("--strategies", nargs="+", default=["uncertainty", "random"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--initial", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--set", nargs="*", default=[], help="RetrainOptions overrides k=v")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("bench/results/active_learning.jsonl"))
    args = parser.parse_args()
    if not args.coco.exists():
        sys.exit(f"no annotations at {args.coco}")
    args.name = args.name or args.coco.parent.name
    torch.set_num_threads(args.threads)
    schema, samples, files = read_coco(args.coco, args.images)
    pool, test = split(samples, files, args.split)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        for strategy in args.strategies:
            run(strategy, seed, (schema, pool, test), args)
    print_table(args.out)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        print_table(*(Path(arg) for arg in sys.argv[2:]))
    else:
        main()
