"""Simulated annotator on tiger_pose: which image next, `uncertainty` versus `random`.

Split by frame number (the source's own split interleaves frames of one video): frames 0-199
are the pool, 200-262 the test set. Each run starts from the same 10 random pool frames
(per seed), then in rounds: train from the ImageNet backbone with `worker.ml.train`
(semi-supervised, the rest of the pool unlabeled), score test PCK@0.1 (model after the last
step; no test-set model selection), pick the next `--batch` frames by the strategy and reveal
their ground truth. The annotator "moves" a keypoint when the current model's prediction is
further than 0.05 x the bbox longest side from the truth; otherwise accepting it is enough.

    .venv/bin/python bench/active_learning.py --rounds 4 --steps 40 --input-size 96 --warps 2

Rows are appended to --out (JSON lines) as each round ends; `--table FILE...` prints a summary.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.ml.config import LossConfig, ModelConfig, TrainConfig
from worker.ml.data import LabeledSample, UnlabeledSample, prepare_labeled, read_coco
from worker.ml.predict import Predictor, predict_input, to_image_space
from worker.ml.train import evaluate, train
from worker.ml.uncertainty import UncertaintyConfig, combine, diverse_order, embedding, measure

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tiger_pose"
MOVE_FRACTION = 0.05


def frame_number(name: str) -> int:
    match = re.search(r"(\d+)", Path(name).stem)
    if match is None:
        raise ValueError(f"no frame number in {name}")
    return int(match.group(1))


def run(strategy: str, seed: int, args: argparse.Namespace) -> None:
    schema, samples, files = read_coco(DATA / "annotations.json", DATA / "images")
    pool = [s for s, f in zip(samples, files, strict=True) if frame_number(f) < 200]
    test = [s for s, f in zip(samples, files, strict=True) if frame_number(f) >= 200]
    rng = np.random.default_rng(seed)
    labeled = [int(i) for i in rng.permutation(len(pool))[: args.initial]]
    model_config = ModelConfig(backbone="efficientnet_lite0", input_size=args.input_size)
    prepared_pool = prepare_labeled(pool, args.input_size, "supervise")
    prepared_test = prepare_labeled(test, args.input_size, "supervise")
    moved = placed = 0
    for round_index in range(args.rounds):
        started = time.monotonic()
        rest = [i for i in range(len(pool)) if i not in set(labeled)]
        config = TrainConfig(
            model=model_config,
            loss=LossConfig(),
            max_steps=args.steps,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=seed,
            eval_interval=10**6,
            patience=10**6,
        )
        result = train(
            config, schema, [pool[i] for i in labeled],
            [UnlabeledSample(pool[i].image) for i in rest], [],
            checkpoint_dir=Path("/tmp/keyloop_al") / f"{strategy}_{seed}_{round_index}",
        )  # fmt: skip
        predictor = Predictor.from_checkpoint(result.last_checkpoint)
        model, device = predictor.model, predictor.device
        row = {
            "strategy": strategy, "seed": seed, "round": round_index, "labels": len(labeled),
            "test_pck": evaluate(model, prepared_test, device, 0.1).pck,
            "test_pck05": evaluate(model, prepared_test, device, 0.05).pck,
            "moved": moved, "placed": placed,
        }  # fmt: skip
        if round_index + 1 < args.rounds and rest:
            if strategy == "uncertainty":
                measuring = UncertaintyConfig(num_warps=args.warps, seed=seed)
                signals = measure(model, prepared_pool.images[rest], 4, measuring, device)
                _, scores = combine(signals)
                labeled_z = predict_input(model, prepared_pool.images[labeled], device)[2]
                order = diverse_order(embedding(signals.z), scores, embedding(labeled_z.numpy()))
                chosen = [rest[j] for j in order[: args.batch]]
            else:
                chosen = [int(i) for i in rng.permutation(rest)[: args.batch]]
            # What the annotator sees: the current model's prediction on each chosen frame.
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
    for key, alpha in (("test_pck", 0.1), ("test_pck05", 0.05)):
        print_curves([r for r in rows if key in r], key, alpha)
    print_placements(rows)


def print_curves(rows: list[dict[str, Any]], key: str, alpha: float) -> None:
    if not rows:
        return
    labels = sorted({r["labels"] for r in rows})
    curves: dict[str, dict[int, float]] = {}
    print(f"\ntest PCK@{alpha} (frames 200-262), mean over seeds (n)")
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
    parser.add_argument("--strategies", nargs="+", default=["uncertainty", "random"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--initial", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--input-size", type=int, default=96)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warps", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results/active_learning.jsonl"))
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"tiger_pose data not found at {DATA}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        for strategy in args.strategies:
            run(strategy, seed, args)
    print_table(args.out)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        print_table(*(Path(arg) for arg in sys.argv[2:]))
    else:
        main()
