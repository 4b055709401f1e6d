"""Interactive single-image prediction in the API process with onnxruntime (no torch).

The worker exports each published model version's heatmap network to `model.onnx`
(`worker/ml/export.py`). Pixels, letterbox and coordinate maps are `imaging`'s, as in
`worker.ml`; only the peak decode is written again in numpy, because `worker.ml` decodes
batches of tensors and importing it would import torch. `tests/backend/test_onnx_predict.py`
checks both paths give the same keypoints.

At most `predict_concurrency` requests compute at once (a semaphore): more would only split
the same CPU cores and make every annotator wait longer; a request that cannot get a slot
within `predict_wait_s` gets 429 instead of queueing without bound.
"""

from __future__ import annotations

import io
import json
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage

from backend.config import Settings
from backend.errors import Conflict, TooManyRequests
from imaging.geometry import Roi, heatmap_to_input, letterbox
from imaging.pixels import rgb_pixels

ONNX_FILE = "model.onnx"  # written by worker/interactive_model.py
FAILED_MARKER = "model.onnx.failed"
HEATMAP_STRIDE = 4


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
        xy_input = heatmap_to_input(HEATMAP_STRIDE)(xy_heatmap)
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
