"""Interactive single-image prediction in the API process with onnxruntime (no torch).

The worker exports each published model version's heatmap network to `model.onnx`
(`worker/ml/export.py`). Pixels, letterbox and coordinate maps are `imaging`'s, as in
`worker.ml`, and so is the peak decode (`imaging.peaks`): importing `worker.ml` would import
torch. `tests/backend/test_onnx_predict.py` checks both paths give the same keypoints.

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
from imaging.peaks import peak_decode
from imaging.pixels import rgb_pixels

ONNX_FILE = "model.onnx"  # written by worker/interactive_model.py
FAILED_MARKER = "model.onnx.failed"
HEATMAP_STRIDE = 4


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
        xy_heatmap, confidence = peak_decode(np.asarray(heatmaps)[0])
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
