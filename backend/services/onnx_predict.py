"""Interactive single-image prediction in the API process with onnxruntime (no torch).

The worker exports each published model version's heatmap network to `model.onnx`
(`worker/ml/export.py`). Here the same letterbox, decode and coordinate conversions as
`worker.ml` are written again in numpy, because importing `worker.ml` would import torch;
`tests/backend/test_onnx_predict.py` checks both give the same keypoints.

At most `predict_concurrency` requests compute at once (a semaphore): more would only split
the same CPU cores and make every annotator wait longer; a request that cannot get a slot
within `predict_wait_s` gets 429 instead of queueing without bound.
"""

from __future__ import annotations

import io
import json
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage

from backend.config import Settings
from backend.errors import Conflict, TooManyRequests
from backend.services.image_files import rgb_pixels

ONNX_FILE = "model.onnx"  # written by worker/interactive_model.py
FAILED_MARKER = "model.onnx.failed"
HEATMAP_STRIDE = 4
Roi = tuple[float, float, float, float]


@dataclass(frozen=True)
class Box:
    """image -> input: xy_input = (xy_image - origin + 0.5) * scale - 0.5 + pad."""

    origin: NDArray[np.float64]
    scale: NDArray[np.float64]
    pad: NDArray[np.float64]

    def input_to_image(self, xy_input: NDArray[np.float64]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = (xy_input - self.pad + 0.5) / self.scale + self.origin - 0.5
        return result


def letterbox(
    image: NDArray[np.uint8], size: int, roi: Roi | None = None
) -> tuple[NDArray[np.uint8], Box]:
    """Crop `roi`, resize keeping aspect, center on a black square (= worker.ml.transforms)."""
    height, width = image.shape[:2]
    x, y, w, h = roi if roi is not None else (0.0, 0.0, float(width), float(height))
    x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
    x1, y1 = min(width, math.ceil(x + w)), min(height, math.ceil(y + h))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"roi {roi} does not overlap the {width}x{height} image")
    crop = image[y0:y1, x0:x1]
    crop_h, crop_w = crop.shape[:2]
    scale = size / max(crop_w, crop_h)
    new_w, new_h = max(1, round(crop_w * scale)), max(1, round(crop_h * scale))
    resized = np.asarray(
        PILImage.fromarray(crop).resize((new_w, new_h), PILImage.Resampling.BILINEAR)
    )
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    box = Box(
        np.array([x0, y0], np.float64),
        np.array([new_w / crop_w, new_h / crop_h]),
        np.array([pad_x, pad_y], np.float64),
    )
    return canvas, box


def decode(heatmaps: NDArray[np.float32]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(K, H, W) -> peak xy in heatmap pixels (K, 2) and peak value (K,), with the same
    log-parabola sub-pixel refinement as `worker.ml.heatmaps.decode`."""
    k, height, width = heatmaps.shape
    flat = heatmaps.reshape(k, -1).astype(np.float32)
    index = flat.argmax(axis=1)
    confidence = flat[np.arange(k), index].astype(np.float64)
    px, py = index % width, index // width
    rows = np.arange(k)

    def refine(
        peak: NDArray[np.int64], other: NDArray[np.int64], length: int, along_x: bool
    ) -> NDArray[np.float64]:
        if length < 3:
            return peak.astype(np.float64)
        centre = np.clip(peak, 1, length - 2)

        def at(offset: int) -> NDArray[np.float64]:
            i = centre + offset
            value = heatmaps[rows, other, i] if along_x else heatmaps[rows, i, other]
            return np.log(np.maximum(value.astype(np.float32), np.float32(1e-10))).astype(
                np.float64
            )

        lp, lc, ln = at(-1), at(0), at(1)
        curvature = lp - 2 * lc + ln
        safe = np.where(curvature < 0, curvature, -1.0)
        vertex = centre + 0.5 * (lp - ln) / safe
        refined = np.clip(vertex, peak - 1.0, peak + 1.0)
        ok = (curvature < 0) & (confidence > 0)
        return np.where(ok, refined, peak.astype(np.float64))

    x = refine(px, py, width, along_x=True)
    y = refine(py, px, height, along_x=False)
    return np.stack([x, y], axis=1), confidence


def read_image(data: bytes) -> NDArray[np.uint8]:
    """RGB pixels as displayed (EXIF orientation applied), the API's image coordinates."""
    with PILImage.open(io.BytesIO(data)) as img:
        return rgb_pixels(img)


class OnnxPredictor:
    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort  # only the API's predict path needs it

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        shape = self.session.get_inputs()[0].shape
        self.input_size = int(shape[-1])
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.keypoint_names: list[str] = json.loads(metadata.get("keypoint_names", "[]"))

    def predict(
        self, image: NDArray[np.uint8], roi: Roi | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """-> xy (K, 2) in image pixels and confidence (K,)."""
        canvas, box = letterbox(image, self.input_size, roi)
        batch = canvas.transpose(2, 0, 1)[None].astype(np.float32) / 255
        (heatmaps,) = self.session.run(None, {self.session.get_inputs()[0].name: batch})
        xy_heatmap, confidence = decode(np.asarray(heatmaps)[0])
        xy_input = (xy_heatmap + 0.5) * HEATMAP_STRIDE - 0.5
        return box.input_to_image(xy_input), confidence


@lru_cache(maxsize=4)
def _load(path: str, threads: int) -> OnnxPredictor:
    """Versions are immutable: a loaded session serves the version for the process lifetime."""
    return OnnxPredictor(Path(path), threads)


def predictor_for(version_path: str, version_id: int, settings: Settings) -> OnnxPredictor:
    path = Path(version_path) / ONNX_FILE
    if not path.is_file():
        failed = (Path(version_path) / FAILED_MARKER).is_file()
        when = (
            "its export failed (see model.onnx.failed in its folder)"
            if failed
            else "the worker exports it at its next periodic check; retry in a minute"
        )
        raise Conflict(
            f"model version {version_id} has no ONNX export for interactive prediction yet: "
            f"{when}, or use a prediction job (POST /projects/{{id}}/predictions)"
        )
    return _load(str(path), settings.predict_threads)


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


class compute_slot:  # a context manager that reads like a function
    """Hold one of `predict_concurrency` slots, or raise 429 after `predict_wait_s`."""

    def __init__(self, settings: Settings) -> None:
        with _slots_lock:
            self.semaphore = _slots.setdefault(
                settings.predict_concurrency,
                threading.BoundedSemaphore(settings.predict_concurrency),
            )
        self.wait_s = settings.predict_wait_s

    def __enter__(self) -> None:
        if not self.semaphore.acquire(timeout=self.wait_s):
            raise TooManyRequests(
                "the interactive predictor is busy; retry in a moment, or use a bulk "
                "prediction job for many images"
            )

    def __exit__(self, *_: object) -> None:
        self.semaphore.release()
