"""Label efficiency on any COCO keypoints dataset: methods and ablations, paired by seed.

The test set is fixed by `--split`: `frame:N` puts images whose file name's last number is >= N
in the test set (frames of one video are near-duplicates, so a random split would leak),
`random:F` a seeded random fraction F. Per seed, a fraction of the train images keeps its
labels; the rest of the train images (labels hidden) plus the images of `--unlabeled` form the
unlabeled pool (§4.1). Every run's TrainConfig comes from the worker's builder
(`worker.retrain_config.build_config`) with the CPU defaults the worker ships, so the bench
measures what a retraining does; only the named switches of a variant differ. The model after
the last step is scored once on the test images (no test-set model selection) at PCK@0.1 and
PCK@0.05 (normaliser: bbox when the annotations have one, else the keypoints' extent), with
mean and median pixel errors.

    D=../shared/data/tiger_pose
    .venv/bin/python bench/ml_label_efficiency.py --coco $D/annotations.json \
        --images $D/images --unlabeled $D/unlabeled \
        --split frame:200 --fractions 0.1 --seeds 0 1 2 3 --variants supervised_matched semi
    .venv/bin/python bench/ml_label_efficiency.py --table bench/results/label_efficiency.jsonl
    # ablations against the shipped method: ... --table FILE --baseline "semi sc_scope=classifier"

`--crop-margin F` is a diagnostic, not what a retraining does: every image (labeled, hidden-label
pool, test) is cropped to its ground-truth box (the bbox, else the keypoints' extent) grown by F
of its longest side on each side, so the animal spans more heatmap cells at the same input
size; `--unlabeled` images have no box and are left out. The PCK normaliser stays what it was
(the bbox, else the extent, passed as a bbox of the same size).

Rows are appended to --out (JSON lines) as each run ends, so a cut-off run keeps its rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.ml.config import TrainConfig, device_defaults
from worker.ml.data import (
    KeypointSchema,
    LabeledSample,
    UnlabeledSample,
    list_images,
    prepare_labeled,
    read_coco,
)
from worker.ml.predict import Predictor
from worker.ml.train import evaluate, train
from worker.retrain_config import RetrainOptions, build_config

# Each variant is RetrainOptions with a few switches changed (docs/MODEL.md, "Attribution").
VARIANTS: dict[str, dict[str, Any]] = {
    "supervised": {"method": "supervised"},
    "supervised_matched": {"method": "supervised_matched"},
    "semi": {},
    "no_sc": {"use_sc": False},
    "sc_network": {"sc_scope": "network"},  # the paper's SC; the CPU default before stop 30
    "no_te": {"use_te": False},
    "no_ti": {"use_ti": False},
    "no_gt": {"gt_in_unsupervised": False},
    "ti_raw": {"ti_normalize": False},
    "ti_sum": {"ti_reduction": "sum"},  # Eq. 4's sum at the paper's λ4: K·C times the mean's
    "ti_x10": {"lambdas": (1e3, 0.5, 1e2, 1e3)},  # the mean at 10x λ4: between mean and sum
    "rampup": {"rampup_steps": 150},
    "unlabeled_75": {"labeled_fraction_in_batch": 0.25},
    "warp_weak": {"perspective_jitter": 0.08},
    "sigma_2": {"sigma": 2.0},  # the CPU default before stop 29
    "teacher": {"teacher": True},  # semi plus a mean teacher's pseudo-labels
    "teacher_gate_0_8": {"teacher": True, "teacher_confidence": 0.8},  # only its surer peaks
}


def frame_number(name: str) -> int:
    numbers = re.findall(r"(\d+)", Path(name).stem)
    if not numbers:
        raise ValueError(f"no frame number in {name}")
    return int(numbers[-1])


def split(
    samples: list[LabeledSample], files: list[str], rule: str
) -> tuple[list[LabeledSample], list[LabeledSample]]:
    kind, _, value = rule.partition(":")
    if kind == "frame":
        test = [frame_number(f) >= int(value) for f in files]
    elif kind == "random":
        order = np.random.default_rng(12345).permutation(len(samples))
        chosen = set(order[: round(float(value) * len(samples))].tolist())
        test = [i in chosen for i in range(len(samples))]
    else:
        raise SystemExit(f"--split must be frame:N or random:F, got {rule!r}")
    train_set = [s for s, t in zip(samples, test, strict=True) if not t]
    test_set = [s for s, t in zip(samples, test, strict=True) if t]
    if not train_set or not test_set:
        raise SystemExit(f"--split {rule} leaves {len(train_set)} train, {len(test_set)} test")
    return train_set, test_set


def labeled_split(count: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Which train images keep their labels in a run of this seed (at least one), and which
    have them hidden, as indices into the train set."""
    order = [int(i) for i in np.random.default_rng(seed).permutation(count)]
    kept = max(1, round(fraction * count))
    return order[:kept], order[kept:]


def cropped(sample: LabeledSample, margin: float) -> LabeledSample:
    """`sample` with its ROI set to its ground-truth box grown by `margin` of the longest side,
    and its normaliser kept (the extent becomes a bbox of the same size)."""
    if sample.bbox is not None:
        box = sample.bbox
    else:
        labeled = sample.keypoints_xy[sample.visibility > 0]
        low, size = labeled.min(axis=0), np.ptp(labeled, axis=0)
        box = (float(low[0]), float(low[1]), float(size[0]), float(size[1]))
    grow = margin * max(box[2], box[3], 1.0)
    roi = (box[0] - grow, box[1] - grow, box[2] + 2 * grow, box[3] + 2 * grow)
    return replace(sample, bbox=box, roi=roi)


def options_for(variant: str, seed: int, overrides: dict[str, Any]) -> RetrainOptions:
    values = {**VARIANTS[variant], **overrides, "seed": seed}
    return RetrainOptions(**values)


def bench_config(options: RetrainOptions, has_unlabeled: bool) -> TrainConfig:
    """What the worker would train on this CPU for these options (no HRNet weights here),
    without the worker's safety time cap: on a shared machine a cap would end runs at
    different steps, so the bench always runs the default's full step count."""
    config = build_config(options, "cpu", has_unlabeled, device_defaults("cpu"))
    return replace(config, max_minutes=None)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, _, raw = item.partition("=")
        out[key] = json.loads(raw) if raw[:1] in "0123456789-[{tf" else raw
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coco", type=Path, required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--unlabeled", type=Path, default=None)
    parser.add_argument("--split", default="frame:200", help="frame:N or random:F")
    parser.add_argument("--name", default=None, help="dataset name in the rows")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--variants", nargs="+", default=["supervised_matched", "semi"])
    parser.add_argument("--set", nargs="*", default=[], help="RetrainOptions overrides k=v")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--crop-margin", type=float, default=None, help="see the docstring")
    parser.add_argument("--out", type=Path, default=Path("bench/results/label_efficiency.jsonl"))
    args = parser.parse_args()
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variants {unknown}; known: {sorted(VARIANTS)}")
    torch.set_num_threads(args.threads)
    overrides = parse_overrides(args.set)
    name = args.name or args.coco.parent.name
    schema, samples, files = read_coco(args.coco, args.images)
    train_set, test_set = split(samples, files, args.split)
    extra_pool = [UnlabeledSample(p) for p in list_images(args.unlabeled)] if args.unlabeled else []
    if args.crop_margin is not None:
        train_set = [cropped(s, args.crop_margin) for s in train_set]
        test_set = [cropped(s, args.crop_margin) for s in test_set]
        extra_pool = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f"{name}: train {len(train_set)}, test {len(test_set)}, unlabeled {len(extra_pool)}")
    for fraction in args.fractions:
        for seed in args.seeds:
            for variant in args.variants:
                row = run_one(args, name, schema, (train_set, test_set, extra_pool), fraction,
                              seed, variant, overrides)  # fmt: skip
                print(json.dumps(row), flush=True)
                with args.out.open("a") as file:
                    file.write(json.dumps(row) + "\n")
    print_table(args.out)


def run_one(
    args: argparse.Namespace,
    name: str,
    schema: KeypointSchema,
    data: tuple[list[LabeledSample], list[LabeledSample], list[UnlabeledSample]],
    fraction: float,
    seed: int,
    variant: str,
    overrides: dict[str, Any],
) -> dict[str, Any]:
    train_set, test_set, extra_pool = data
    labeled_at, hidden_at = labeled_split(len(train_set), fraction, seed)
    labeled = [train_set[i] for i in labeled_at]
    count = len(labeled)
    pool = [UnlabeledSample(train_set[i].image, train_set[i].roi) for i in hidden_at]
    pool += extra_pool
    options = options_for(variant, seed, overrides)
    config = bench_config(options, bool(pool))
    checkpoint_dir = run_dir(name, variant, config, overrides, args.crop_margin, fraction, seed)
    started = time.monotonic()
    last_losses: dict[str, float] = {}  # a loss stuck at 0 (e.g. no pseudo-labels) shows here
    result = train(
        config, schema, labeled, pool if config.loss.semi_supervised else [], [],
        checkpoint_dir=checkpoint_dir,
        on_progress=lambda progress: last_losses.update(progress.losses),
    )  # fmt: skip
    seconds = time.monotonic() - started
    model = Predictor.from_checkpoint(result.last_checkpoint).model
    prepared = prepare_labeled(test_set, config.model.input_size, "supervise")
    loose = evaluate(model, prepared, torch.device("cpu"), 0.1)
    strict = evaluate(model, prepared, torch.device("cpu"), 0.05)
    return {
        "dataset": name, "split": args.split, "fraction": fraction, "labeled": count,
        "seed": seed, "variant": variant, "overrides": overrides, "sigma": config.sigma,
        "steps": result.step,
        "status": result.status, "pck10": loose.pck, "pck05": strict.pck,
        "mean_px": loose.mean_error_px, "median_px": loose.median_error_px,
        "normalizer": "bbox" if test_set[0].bbox is not None else "extent",
        "seconds": round(seconds, 1), "threads": args.threads,
        "input_size": config.model.input_size, "batch_size": config.batch_size,
        "labeled_per_step": config.labeled_per_batch, "lr": config.lr,
        "last_losses": {k: round(v, 6) for k, v in last_losses.items()},
        "checkpoint": str(result.last_checkpoint),
        **({"crop_margin": args.crop_margin} if args.crop_margin is not None else {}),
        **({"sc_scope": config.loss.sc_scope} if config.loss.semi_supervised
           and config.loss.use_sc else {}),
    }  # fmt: skip


def run_dir(
    name: str,
    variant: str,
    config: TrainConfig,
    overrides: dict[str, Any],
    crop_margin: float | None,
    fraction: float,
    seed: int,
) -> Path:
    """Where a run keeps its checkpoints: one folder per row's identity, so a later run with
    other overrides, or after the shipped default changed, never replaces the checkpoint an
    earlier row was measured on. The digest covers the whole training config; the overrides
    are spelled out only to make the folder readable."""
    tags = [f"{k}={v}" for k, v in sorted(overrides.items())]
    tags += [f"crop={crop_margin}"] if crop_margin is not None else []
    digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()
    parts = [name, variant, *tags, str(fraction), str(seed), digest[:8]]
    return Path("/tmp/keyloop_bench") / "_".join(parts)


def load_rows(*paths: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()
    ]


def row_setting(row: dict[str, Any]) -> dict[str, Any]:
    """What a row ran with beyond its method: its overrides, its crop, and its target sigma (rows
    before stop 29 carry no "sigma" and ran at 2.0 unless an override said otherwise). Rows are
    paired with a baseline of the same setting."""
    overrides = row.get("overrides") or {}
    setting = {k: v for k, v in overrides.items() if k not in ("sigma", "sc_scope")}
    setting["sigma"] = float(row.get("sigma", overrides.get("sigma", 2.0)))
    if "crop_margin" in row:
        setting["crop_margin"] = row["crop_margin"]
    return setting


def row_method(row: dict[str, Any]) -> str:
    """Variant name, plus what SC trained where SC ran. Rows record "sc_scope" since stop 30;
    an older row whose variant ran SC ran the paper's ("network")."""
    scope = row.get("sc_scope")
    if scope is None:
        options = options_for(row["variant"], 0, row.get("overrides") or {})  # seed: irrelevant
        if options.method != "semi" or not options.use_sc:
            return str(row["variant"])
        scope = "network"
    return f"{row['variant']} sc_scope={scope}"


def row_key(row: dict[str, Any]) -> str:
    """Method plus setting, so runs with different --set, sigma or SC scope never pool."""
    extra = row_setting(row)
    return row_method(row) + "".join(f" {k}={v}" for k, v in sorted(extra.items()))


def print_table(*paths: Path, baseline: str = "supervised_matched") -> None:
    rows = load_rows(*paths)
    for dataset in sorted({r["dataset"] for r in rows}):
        for fraction in sorted({r["fraction"] for r in rows if r["dataset"] == dataset}):
            subset = [r for r in rows if r["dataset"] == dataset and r["fraction"] == fraction]
            print(markdown_table(subset, baseline, f"{dataset}, {fraction:.0%} labels"))


def markdown_table(rows: list[dict[str, Any]], baseline: str, title: str) -> str:
    """Mean ± std over seeds, and the gain over `baseline` paired by seed (ahead/seeds)."""
    keys = sorted({row_key(r) for r in rows}, key=lambda k: (not k.startswith(baseline), k))
    lines = [
        f"\n**{title}** (labeled {rows[0]['labeled']}; paired gain vs {baseline})\n",
        "| variant | n | PCK@0.1 | PCK@0.05 | mean px | Δ PCK@0.1 | Δ PCK@0.05 | Δ mean px |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key in keys:
        mine = [r for r in rows if row_key(r) == key]
        same = row_setting(mine[0])
        base = {r["seed"]: r for r in rows if row_method(r) == baseline and row_setting(r) == same}
        cells = [f"{np.mean([r[m] for r in mine]):.3f} ± {np.std([r[m] for r in mine]):.3f}"
                 for m in ("pck10", "pck05", "mean_px")]  # fmt: skip
        gains = [paired(mine, base, m) for m in ("pck10", "pck05", "mean_px")]
        lines.append(f"| {key} | {len(mine)} | " + " | ".join(cells + gains) + " |")
    return "\n".join(lines)


def paired(mine: list[dict[str, Any]], base: dict[int, dict[str, Any]], metric: str) -> str:
    diffs = [r[metric] - base[r["seed"]][metric] for r in mine if r["seed"] in base]
    if not diffs or all(r is base.get(r["seed"]) for r in mine):
        return "-"
    better = sum(d < 0 if metric == "mean_px" else d > 0 for d in diffs)
    return f"{np.mean(diffs):+.3f} ± {np.std(diffs):.3f} ({better}/{len(diffs)})"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        table = argparse.ArgumentParser(prog="ml_label_efficiency.py --table")
        table.add_argument("files", type=Path, nargs="+")
        example = 'pair with it, e.g. "semi sc_scope=network"'
        table.add_argument("--baseline", default="supervised_matched", help=example)
        table_args = table.parse_args(sys.argv[2:])
        print_table(*table_args.files, baseline=table_args.baseline)
    else:
        main()
