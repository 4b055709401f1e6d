"""Latency of the API's interactive predict path on CPU (onnxruntime, no torch at request time).

Times what `POST /model-versions/{id}/predict` does after the upload is read: validate the
bytes (`decode_image`), decode them with EXIF applied, letterbox, run the ONNX heatmap network,
decode peaks, map to image pixels. The model is the CPU default (EfficientNet-Lite0 at 192 px,
12 keypoints as tiger_pose; weights do not change the cost) and the image a 1280x720 tiger
frame. Prints p50/p95/mean over --runs after warm-up, per onnxruntime thread count.

    .venv/bin/python bench/predict_latency.py [--runs 50] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.services.image_files import decode_image
from backend.services.onnx_predict import OnnxPredictor, read_image
from worker.ml.config import ModelConfig
from worker.ml.export import export_onnx
from worker.ml.model import KeypointModel

FRAME = Path(__file__).resolve().parents[1].parent / "shared/data/tiger_pose/images/Frame_0.jpg"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--input-size", type=int, default=192)
    args = parser.parse_args()
    data = FRAME.read_bytes()
    model = KeypointModel(
        ModelConfig(backbone="efficientnet_lite0", input_size=args.input_size, pretrained="none"),
        12,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = export_onnx(model, Path(folder) / "model.onnx", [f"k{i}" for i in range(12)])
        for threads in args.threads:
            predictor = OnnxPredictor(path, threads)

            for _ in range(5):
                once(predictor, data)
            times = sorted(once(predictor, data) for _ in range(args.runs))
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(
                f"threads={threads} input={args.input_size}px image=1280x720 jpeg: "
                f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
                f"mean {statistics.mean(times):.1f} ms over {args.runs} runs"
            )


def once(predictor: OnnxPredictor, data: bytes) -> float:
    started = time.perf_counter()
    decode_image(FRAME.name, data, max_pixels=64_000_000)
    predictor.predict(read_image(data))
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
