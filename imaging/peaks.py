"""Where a heatmap peaks: the one decode of the model's output, for the API and the worker.

`backend.services.onnx_predict` decodes one image's maps without torch; `worker.ml.heatmaps`
decodes batches of tensors through this function, so both give the same keypoints from the
same maps by construction.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def peak_decode(heatmaps: NDArray[Any]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Heatmaps (..., H, W) -> peak xy in heatmap pixels (..., 2) and peak value (...).

    The peak is the arg-max refined along each axis by a parabola through the log-values of
    three samples around it: exact for a Gaussian peak, whose log is quadratic.
    """
    *lead, height, width = heatmaps.shape
    maps = np.asarray(heatmaps, dtype=np.float32).reshape(-1, height, width)
    flat = maps.reshape(len(maps), -1)
    index = flat.argmax(axis=1)
    rows = np.arange(len(maps))
    confidence = flat[rows, index].astype(np.float64)
    px, py = index % width, index // width

    def refine(
        peak: NDArray[np.int64], other: NDArray[np.int64], length: int, along_x: bool
    ) -> NDArray[np.float64]:
        if length < 3:
            return peak.astype(np.float64)
        # Three samples centred on the peak, shifted inward at the border: the parabola still
        # finds a Gaussian's vertex from one side of it.
        centre = np.clip(peak, 1, length - 2)

        def log_at(offset: int) -> NDArray[np.float64]:
            i = centre + offset
            value = maps[rows, other, i] if along_x else maps[rows, i, other]
            return np.log(np.maximum(value, np.float32(1e-10))).astype(np.float64)

        lp, lc, ln = log_at(-1), log_at(0), log_at(1)
        curvature = lp - 2 * lc + ln
        safe = np.where(curvature < 0, curvature, -1.0)
        vertex = centre + 0.5 * (lp - ln) / safe
        refined = np.clip(vertex, peak - 1.0, peak + 1.0)
        ok = (curvature < 0) & (confidence > 0)
        return np.where(ok, refined, peak.astype(np.float64))

    x = refine(px, py, width, along_x=True)
    y = refine(py, px, height, along_x=False)
    xy = np.stack([x, y], axis=1)
    return xy.reshape(*lead, 2), confidence.reshape(lead)
