"""Label efficiency on tiger_pose: supervised vs semi-supervised at 5-100% labels.

Split by frame number (the source's train/val split interleaves frames of the same videos):
frames 0-199 train, 200-262 test. A fraction of the train frames keeps its labels; the rest
of the train frames plus the 997 images of `unlabeled/` form the unlabeled pool (§4.1 discards
labels the same way). Both methods get the same backbone, step budget and number of labeled
images per step: supervised batches hold `--batch-size` labeled images, semi-supervised ones
that many labeled plus as many unlabeled (§4.2's 50/50 split), unless `--semi-batch-size`
says otherwise. The model after the last step is scored once on the test frames (no test-set
model selection) at PCK@0.1 and, since 0.1 of a tiger's bbox is lenient (about 87 px at
1280x720), also at PCK@0.05.

    .venv/bin/python bench/ml_label_efficiency.py --steps 300 --input-size 128 --seeds 0 1

Results are appended to --out (JSON lines) as each run ends, so a cut-off run keeps its rows.
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
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.ml.config import LossConfig, ModelConfig, TrainConfig
from worker.ml.data import UnlabeledSample, list_images, prepare_labeled, read_coco
from worker.ml.predict import Predictor
from worker.ml.train import evaluate, train

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tiger_pose"


def frame_number(name: str) -> int:
    match = re.search(r"(\d+)", Path(name).stem)
    if match is None:
        raise ValueError(f"no frame number in {name}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.5, 1.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--semi-batch-size", type=int, default=None, help="default: 2x batch")
    parser.add_argument("--input-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/label_efficiency.jsonl"))
    args = parser.parse_args()
    semi_batch = args.semi_batch_size or 2 * args.batch_size
    if not DATA.exists():
        sys.exit(f"tiger_pose data not found at {DATA}; see ../shared/data/README.md")

    schema, samples, files = read_coco(DATA / "annotations.json", DATA / "images")
    train_set = [s for s, f in zip(samples, files, strict=True) if frame_number(f) < 200]
    test_set = [s for s, f in zip(samples, files, strict=True) if frame_number(f) >= 200]
    extra_pool = [UnlabeledSample(p) for p in list_images(DATA / "unlabeled")]
    prepared_test = prepare_labeled(test_set, args.input_size, "supervise")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f"train {len(train_set)}, test {len(test_set)}, unlabeled {len(extra_pool)}")

    for fraction in args.fractions:
        for seed in args.seeds:
            order = np.random.default_rng(seed).permutation(len(train_set))
            count = max(1, round(fraction * len(train_set)))
            labeled = [train_set[i] for i in order[:count]]
            pool = [UnlabeledSample(train_set[i].image) for i in order[count:]] + extra_pool
            for method, loss, batch_size in (
                ("supervised", LossConfig.supervised_only(), args.batch_size),
                ("semi", LossConfig(), semi_batch),
            ):
                config = TrainConfig(
                    model=ModelConfig(backbone="efficientnet_lite0", input_size=args.input_size),
                    loss=loss,
                    max_steps=args.steps,
                    batch_size=batch_size,
                    lr=args.lr,
                    seed=seed,
                    eval_interval=args.steps,
                    patience=10**6,
                )
                started = time.monotonic()
                result = train(
                    config, schema, labeled, pool, test_set,
                    checkpoint_dir=Path("/tmp/keyloop_bench") / f"{method}_{fraction}_{seed}",
                )  # fmt: skip
                model = Predictor.from_checkpoint(result.last_checkpoint).model
                strict = evaluate(model, prepared_test, torch.device("cpu"), 0.05).pck
                row = {
                    "fraction": fraction, "labeled": count, "seed": seed, "method": method,
                    "steps": result.step, "test_pck": result.best_val_pck, "test_pck05": strict,
                    "seconds": round(time.monotonic() - started, 1),
                    "input_size": args.input_size, "batch_size": batch_size,
                }  # fmt: skip
                print(json.dumps(row), flush=True)
                with args.out.open("a") as file:
                    file.write(json.dumps(row) + "\n")
    print_table(args.out)


def print_table(*paths: Path) -> None:
    rows = [
        json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()
    ]
    for key, alpha in (("test_pck", 0.1), ("test_pck05", 0.05)):
        print_metric([r for r in rows if key in r], key, alpha)


def print_metric(rows: list[dict[str, Any]], key: str, alpha: float) -> None:
    fractions = sorted({r["fraction"] for r in rows})
    print(f"\nPCK@{alpha} on frames 200-262 (mean ± std over seeds)")
    print("method      " + "".join(f"{f * 100:>16.0f}%" for f in fractions))
    for method in ("supervised", "semi"):
        cells = []
        for fraction in fractions:
            values = [r[key] for r in rows if r["method"] == method and r["fraction"] == fraction]
            cell = f"{np.mean(values):.3f}±{np.std(values):.3f}({len(values)})" if values else "-"
            cells.append(f"{cell:>17}")
        print(f"{method:<12}" + "".join(cells))
    print(f"{'semi - sup':<12}" + "".join(f"{paired_gain(rows, key, f):>17}" for f in fractions))
    print("(semi - sup: per seed, both methods on the same labeled frames; mean±std, ahead/seeds)")


def paired_gain(rows: list[dict[str, Any]], key: str, fraction: float) -> str:
    by_seed: dict[int, dict[str, float]] = {}
    for r in rows:
        if r["fraction"] == fraction:
            by_seed.setdefault(r["seed"], {})[r["method"]] = r[key]
    gains = [m["semi"] - m["supervised"] for m in by_seed.values() if len(m) == 2]
    if not gains:
        return "-"
    ahead = sum(g > 0 for g in gains)
    return f"{np.mean(gains):+.3f}±{np.std(gains):.3f} {ahead}/{len(gains)}"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        print_table(*(Path(arg) for arg in sys.argv[2:]))
    else:
        main()
