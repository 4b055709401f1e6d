"""The paper's own configuration (§4.2) on an ATRW-style COCO dataset: one Table-1 row.

HRNet-W32 (ImageNet weights from `KEYLOOP_HRNET_WEIGHTS` or timm's hub) at 256 px, Adam 1e-4,
(λ1..λ4) = (1e3, 0.5, 1e2, 1e2) with TI as Eq. 4 writes it (sum over K·C, raw z), 50/50
batches, trained until validation PCK@0.1 stops improving (`--patience` evaluations every
`--eval-interval` steps); the best-on-validation model is scored once on the test set at
PCK@0.1 of the bbox's longest side. Per fraction, `--seeds` random labeled subsets of the
train set (the rest is the unlabeled pool); the row is mean ± std over seeds (Table 1 shape).

    .venv/bin/python bench/paper_table1.py --train atrw/keypoint_train.json \\
        --val atrw/keypoint_val.json --test atrw/keypoint_test.json --images atrw/images \\
        --method semi --fractions 0.05 0.1 0.2 0.5 1.0 --seeds 0 1 2 --device cuda

`--method supervised` gives the supervised baseline row (labeled images only). A GPU is
expected; `--input-size 64 --max-steps 2 --pretrained none --device cpu` is the smoke test.
Rows go to `--out` (JSON lines) as each run ends.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.ml.config import ModelConfig, TrainConfig
from worker.ml.data import LabeledSample, UnlabeledSample, prepare_labeled, read_coco
from worker.ml.predict import Predictor
from worker.ml.train import evaluate, train
from worker.retrain_config import RetrainOptions, build_config

PAPER_LAMBDAS = (1e3, 0.5, 1e2, 1e2)


def paper_config(args: argparse.Namespace, method: str, seed: int) -> TrainConfig:
    options = RetrainOptions(
        method="semi" if method == "semi" else "supervised",
        backbone="hrnet_w32",
        input_size=args.input_size,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        lr=1e-4,
        seed=seed,
        eval_interval=args.eval_interval,
        patience=args.patience,
        lambdas=PAPER_LAMBDAS,
        ti_reduction="mean" if args.ti_mean else "sum",
        ti_normalize=args.ti_unit,
    )
    pretrained = args.pretrained or "auto"
    model = ModelConfig(backbone="hrnet_w32", input_size=args.input_size, pretrained=pretrained)
    config = build_config(options, args.device, True, model)
    # Supervised baseline: the whole batch is labeled, as the paper's HRNet runs are.
    if method == "supervised":
        config = replace(config, batch_size=args.batch_size)
    return replace(config, max_minutes=None)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--val", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--images", type=Path, required=True, help="folder of all file_names")
    parser.add_argument("--method", choices=("semi", "supervised"), default="semi")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.5, 1.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--input-size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-steps", type=int, default=100_000)
    parser.add_argument("--eval-interval", type=int, default=500)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--pretrained", default=None, help="weights file, or none")
    parser.add_argument("--ti-unit", action="store_true", help="TI on unit z (our default)")
    parser.add_argument("--ti-mean", action="store_true", help="TI averaged (our default)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--work", type=Path, default=Path("/tmp/keyloop_paper"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/paper_table1.jsonl"))
    args = parser.parse_args(argv)
    schema, train_set, _ = read_coco(args.train, args.images)
    _, val_set, _ = read_coco(args.val, args.images)
    _, test_set, _ = read_coco(args.test, args.images)
    print(f"train {len(train_set)}, validation {len(val_set)}, test {len(test_set)}")
    rows = []
    for fraction in args.fractions:
        for seed in args.seeds:
            row = run(args, schema, train_set, val_set, test_set, fraction, seed)
            print(json.dumps(row), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            with args.out.open("a") as file:
                file.write(json.dumps(row) + "\n")
            rows.append(row)
    print(table_row(rows, args.method, args.fractions))
    return rows


def run(
    args: argparse.Namespace,
    schema: Any,
    train_set: list[LabeledSample],
    val_set: list[LabeledSample],
    test_set: list[LabeledSample],
    fraction: float,
    seed: int,
) -> dict[str, Any]:
    order = np.random.default_rng(seed).permutation(len(train_set))
    count = max(1, round(fraction * len(train_set)))
    labeled = [train_set[i] for i in order[:count]]
    pool = [UnlabeledSample(train_set[i].image) for i in order[count:]]
    if not pool:  # at 100% the unsupervised losses act on the labeled images themselves
        pool = [UnlabeledSample(s.image) for s in labeled]
    config = paper_config(args, args.method, seed)
    started = time.monotonic()
    result = train(
        config, schema, labeled, pool if config.loss.semi_supervised else [], val_set,
        checkpoint_dir=args.work / f"{args.method}_{fraction}_{seed}",
    )  # fmt: skip
    model = Predictor.from_checkpoint(result.best_checkpoint, args.device).model
    prepared = prepare_labeled(test_set, config.model.input_size, "supervise")
    score = evaluate(model, prepared, torch.device(args.device), 0.1)
    return {
        "method": args.method, "fraction": fraction, "labeled": count, "seed": seed,
        "steps": result.step, "status": result.status, "val_pck10": result.best_val_pck,
        "test_pck10": score.pck, "mean_px": score.mean_error_px,
        "normalizer": "bbox" if test_set[0].bbox is not None else "extent",
        "seconds": round(time.monotonic() - started, 1), "device": args.device,
        "backbone": config.model.backbone, "weights": model.weights_source,
        "input_size": config.model.input_size, "batch_size": config.batch_size,
        "ti": f"{config.loss.ti_reduction}, {'unit' if config.loss.ti_normalize else 'raw'} z",
    }  # fmt: skip


def table_row(rows: list[dict[str, Any]], method: str, fractions: list[float]) -> str:
    """| method | 5% | 10% | ... | with PCK@0.1 in percent, mean ± std over seeds."""
    header = "| Method | " + " | ".join(f"{f:.0%}" for f in fractions) + " |"
    cells = []
    for fraction in fractions:
        values = [100 * r["test_pck10"] for r in rows if r["fraction"] == fraction]
        cells.append(f"{np.mean(values):.2f} ± {np.std(values):.2f}" if values else "-")
    label = "Ours (SC+TE+TI)" if method == "semi" else "Supervised (HRNet-W32)"
    separator = "|---|" + "---|" * len(fractions)
    return "\n".join([header, separator, f"| {label} | " + " | ".join(cells) + " |"])


if __name__ == "__main__":
    main()
