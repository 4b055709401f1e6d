"""Training and inference cost on this machine.

1. Seconds per training step, semi-supervised (two views, four losses), semi-supervised with
   the mean teacher's pseudo-labels and supervised-only, at the same batch size, measured
   alternately so background load affects them alike.
2. Inference throughput (images/s) per backbone at its default input size, batch 8.

    .venv/bin/python bench/ml_cost.py --input-size 192 --batch-size 8 --steps 6
    .venv/bin/python bench/ml_cost.py --input-size 128 --batch-size 16 --train-only  # CPU default
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.ml.config import BACKBONES, LossConfig, ModelConfig, TrainConfig
from worker.ml.data import KeypointSchema, LabeledSample, UnlabeledSample
from worker.ml.model import KeypointModel
from worker.ml.train import Progress, train


def samples(count: int, rng: np.random.Generator) -> list[LabeledSample]:
    return [
        LabeledSample(
            (rng.random((480, 640, 3)) * 255).astype(np.uint8),
            rng.uniform(0, 480, (12, 2)),
            np.full(12, 2, dtype=np.int64),
        )
        for _ in range(count)
    ]


def seconds_per_step(config: TrainConfig, steps: int) -> float:
    rng = np.random.default_rng(0)
    labeled, pool = samples(16, rng), [UnlabeledSample(s.image) for s in samples(16, rng)]
    stamps: list[float] = []

    def tick(_: Progress) -> None:
        stamps.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as out:
        schema = KeypointSchema([f"k{i}" for i in range(12)])
        train(config, schema, labeled, pool, [], checkpoint_dir=out, on_progress=tick)
    return statistics.median(np.diff(stamps[1:]))  # skip warm-up steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-size", type=int, default=192)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--train-only", action="store_true", help="skip the inference part")
    args = parser.parse_args()
    print(f"device {args.device}, torch threads {torch.get_num_threads()}")

    model = ModelConfig(backbone="efficientnet_lite0", input_size=args.input_size)
    losses = {
        "supervised": LossConfig.supervised_only(),
        "semi": LossConfig(),
        "teacher": LossConfig(use_teacher=True),
    }
    runs: dict[str, list[float]] = {name: [] for name in losses}
    for _ in range(args.rounds):
        for name, loss in losses.items():
            config = TrainConfig(
                model=model, loss=loss, max_steps=args.steps, batch_size=args.batch_size,
                device=args.device, eval_interval=10**6,
            )  # fmt: skip
            runs[name].append(seconds_per_step(config, args.steps))
    sup, semi, teacher = (min(runs[name]) for name in losses)
    print(f"train step, efficientnet_lite0 @ {args.input_size}, batch {args.batch_size}:")
    print(
        f"  supervised {sup:.3f} s/step, semi-supervised {semi:.3f} s/step, ratio {semi / sup:.2f}"
    )
    print(f"  semi + mean teacher {teacher:.3f} s/step, {teacher / semi:.2f}x semi")
    if args.train_only:
        return

    print("inference, batch 8, images/s:")
    device = torch.device(args.device)
    for backbone in BACKBONES:
        size = 192 if backbone == "efficientnet_lite0" else 256
        net = KeypointModel(ModelConfig(backbone=backbone, input_size=size, pretrained="none"), 12)
        net = net.to(device).eval()
        x = torch.rand(8, 3, size, size, device=device)
        with torch.no_grad():
            net(x)
            started = time.perf_counter()
            for _ in range(3):
                net(x)
            if device.type == "cuda":
                torch.cuda.synchronize()
            rate = 24 / (time.perf_counter() - started)
        print(f"  {backbone:<20} @ {size}: {rate:6.1f} images/s")

    if args.device == "cpu":
        onnx_vs_eager()


def onnx_vs_eager(size: int = 192, rounds: int = 3) -> None:
    """Lite0 eager vs ONNX Runtime, alternated so background load hits both alike."""
    try:
        from worker.ml.onnx_runtime import OnnxRunner, export_with_z
    except ImportError:
        print("onnxruntime not installed; skipping the ONNX comparison")
        return
    net = KeypointModel(ModelConfig(input_size=size), 12).eval()
    x = torch.rand(8, 3, size, size)
    with tempfile.TemporaryDirectory() as folder:
        runner = OnnxRunner(export_with_z(net, Path(folder) / "lite0.onnx"))
        rates: dict[str, list[float]] = {"eager": [], "onnxruntime": []}
        with torch.no_grad():
            for _ in range(rounds):
                for name, run in (("eager", lambda: net(x)), ("onnxruntime", lambda: runner(x))):
                    run()
                    started = time.perf_counter()
                    run()
                    rates[name].append(8 / (time.perf_counter() - started))
    for name, values in rates.items():
        best = max(values)
        print(f"  efficientnet_lite0 @ {size} {name:<12}: {best:6.1f} images/s (best of {rounds})")


if __name__ == "__main__":
    main()
