"""Keypoint confidence that means what it says.

The heatmap peak a model outputs is not a probability: it is about 1 for a clean peak and goes
above 1 (1.29 was seen) when the network overshoots its Gaussian target. After each retraining
the worker fits, on the validation images, how often a keypoint predicted with a given peak was
within PCK@alpha of the truth (`fit`, isotonic regression: more peak never means less trust),
and stores that curve with the model version (`ModelVersion.metrics["calibration"]`). Every
path that predicts (the worker after training, bulk jobs, the API's ONNX predict) turns a raw
peak into a confidence in [0, 1] with `calibrate`, so "80 %" means "right about 80 % of the
time on this project's validation images". The raw peak stays in stored predictions as `peak`
for internals; the API shows the calibrated value.

A prediction whose peak lies on the image border (the network's way of saying "not in the
picture") or below `PEAK_FLOOR` is not offered as an answer: `doubt` names why, and the
annotator never accepts such a point in bulk.

Pure Python (no numpy, no torch), so the API process and the worker share it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Doubt = Literal["border", "weak_peak"]

PEAK_FLOOR = 0.2  # raw peaks below this are too weak to offer, whatever the calibration says
BORDER_FRACTION = 0.01  # of the image's longer side: "on the border"
BORDER_MIN_PX = 2.0
MIN_SAMPLES = 8  # fewer labeled validation keypoints than this: no curve, peaks clipped
MAX_KNOTS = 24  # the stored curve stays small (version lists carry metrics)


@dataclass(frozen=True)
class Calibration:
    """A nondecreasing curve raw peak -> P(correct), linear between knots, flat outside."""

    peaks: tuple[float, ...]
    probabilities: tuple[float, ...]
    samples: int
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "isotonic",
            "peaks": [round(p, 6) for p in self.peaks],
            "probabilities": [round(p, 6) for p in self.probabilities],
            "samples": self.samples,
            "alpha": self.alpha,
        }

    @staticmethod
    def from_dict(data: object) -> Calibration | None:
        """The stored curve, or None for a version without one (older, or too few samples)."""
        if not isinstance(data, dict):
            return None
        peaks, probabilities = data.get("peaks"), data.get("probabilities")
        if not isinstance(peaks, list) or not isinstance(probabilities, list):
            return None
        if not peaks or len(peaks) != len(probabilities):
            return None
        return Calibration(
            tuple(float(p) for p in peaks),
            tuple(float(p) for p in probabilities),
            int(data.get("samples", 0)),
            float(data.get("alpha", 0.1)),
        )


def fit(peaks: Sequence[float], correct: Sequence[bool], alpha: float) -> Calibration | None:
    """Isotonic regression of correctness on the raw peak (pool adjacent violators), each pooled
    block's rate shrunk toward 1/2 by one pseudo-observation of each outcome, so a block of
    three right answers reads 80 %, not 100 %. None with fewer than MIN_SAMPLES finite peaks."""
    pairs = sorted(
        (float(p), bool(c)) for p, c in zip(peaks, correct, strict=True) if math.isfinite(p)
    )
    if len(pairs) < MIN_SAMPLES:
        return None
    blocks: list[list[float]] = []  # [sum of peaks, hits, count]
    for peak, hit in pairs:
        blocks.append([peak, float(hit), 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    knots = [(s / n, (h + 1) / (n + 2)) for s, h, n in blocks]
    if len(knots) > MAX_KNOTS:
        step = (len(knots) - 1) / (MAX_KNOTS - 1)
        knots = [knots[round(i * step)] for i in range(MAX_KNOTS)]
    # Shrinking can break monotonicity between blocks of different sizes: restore it.
    probabilities: list[float] = []
    for _, p in knots:
        probabilities.append(max(p, probabilities[-1]) if probabilities else p)
    return Calibration(
        tuple(k for k, _ in knots), tuple(probabilities), samples=len(pairs), alpha=alpha
    )


def calibrate(calibration: Calibration | None, peak: float) -> float:
    """The confidence in [0, 1] of a raw peak. Without a curve (a version trained before
    calibration existed, or with too few validation keypoints) the peak clipped to [0, 1]."""
    if not math.isfinite(peak):
        return 0.0
    if calibration is None:
        return min(1.0, max(0.0, peak))
    xs, ys = calibration.peaks, calibration.probabilities
    if peak <= xs[0]:
        return ys[0]
    if peak >= xs[-1]:
        return ys[-1]
    for i in range(1, len(xs)):
        if peak <= xs[i]:
            span = xs[i] - xs[i - 1]
            t = (peak - xs[i - 1]) / span if span > 0 else 1.0
            return ys[i - 1] + t * (ys[i] - ys[i - 1])
    return ys[-1]  # pragma: no cover - the loop always returns


def doubt(peak: float, x: float, y: float, width: float, height: float) -> Doubt | None:
    """Why a predicted point is not offered as an answer: "weak_peak" below the floor,
    "border" within 1 % of the image's longer side of its edge; None when it is."""
    if not math.isfinite(peak) or peak < PEAK_FLOOR:
        return "weak_peak"
    margin = max(BORDER_MIN_PX, BORDER_FRACTION * max(width, height))
    if x <= margin or y <= margin or x >= width - margin or y >= height - margin:
        return "border"
    return None


def predicted_point(
    calibration: Calibration | None, peak: float, x: float, y: float, width: float, height: float
) -> dict[str, Any]:
    """A stored predicted keypoint: calibrated `confidence`, raw `peak`, `doubt`."""
    return {
        "x": x,
        "y": y,
        "confidence": calibrate(calibration, peak),
        "peak": peak if math.isfinite(peak) else None,
        "doubt": doubt(peak, x, y, width, height),
    }
