"""PCK@alpha (Yang & Ramanan) and pixel errors; unlabeled ground truth is ignored.

PCK counts a keypoint correct when its error is within alpha * l: l is the longest side of the
object's bbox (PCK, §4.1) or 60% of the head box diagonal (PCKh, MPII). Our schemas carry no
head box, so PCKh uses the box of the labeled head keypoints (`head_keypoints`: names that
contain a head word), on images with at least two of them labeled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PckResult:
    pck: float  # over all labeled keypoints; nan if none
    per_keypoint: list[float]  # nan where a keypoint is never labeled
    mean_error_px: float
    median_error_px: float
    count: int


def bbox_normalizer(boxes_xywh: FloatArray) -> FloatArray:
    boxes = np.asarray(boxes_xywh, dtype=np.float64)
    return np.maximum(boxes[:, 2], boxes[:, 3])


def head_normalizer(head_boxes_xyxy: FloatArray) -> FloatArray:
    boxes = np.asarray(head_boxes_xyxy, dtype=np.float64)
    return 0.6 * np.hypot(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])


def pck(
    predicted_xy: FloatArray,
    true_xy: FloatArray,
    labeled: NDArray[np.bool_],
    normalizer: FloatArray,
    alpha: float = 0.1,
) -> PckResult:
    """Arrays are (N, K, 2), (N, K, 2), (N, K), (N,), all in the same pixel space."""
    predicted = np.asarray(predicted_xy, dtype=np.float64)
    truth = np.asarray(true_xy, dtype=np.float64)
    mask = np.asarray(labeled, dtype=bool)
    if predicted.shape != truth.shape or mask.shape != truth.shape[:2]:
        raise ValueError(f"shape mismatch {predicted.shape}, {truth.shape}, {mask.shape}")
    error = np.linalg.norm(predicted - truth, axis=-1)  # (N, K)
    correct = error <= alpha * np.asarray(normalizer, dtype=np.float64)[:, None]
    counts = mask.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_keypoint = np.where(counts > 0, (correct & mask).sum(axis=0) / counts, np.nan)
    labeled_errors = error[mask]
    total = int(mask.sum())
    return PckResult(
        pck=float((correct & mask).sum() / total) if total else float("nan"),
        per_keypoint=[float(v) for v in per_keypoint],
        mean_error_px=float(labeled_errors.mean()) if total else float("nan"),
        median_error_px=float(np.median(labeled_errors)) if total else float("nan"),
        count=total,
    )


HEAD_WORDS = ("head", "neck", "nose", "snout", "muzzle", "eye", "ear", "chin", "mouth", "beak")


def head_keypoints(names: list[str]) -> list[int]:
    """Indices of keypoints whose name contains a head word as a word (`left_ear`, `Nose`;
    not `hearing` or `year`). Fewer than two means the schema has no head for PCKh."""
    pattern = re.compile(r"(?:^|[^a-z])(" + "|".join(HEAD_WORDS) + r")s?(?:[^a-z]|$)")
    found = [i for i, name in enumerate(names) if pattern.search(name.lower())]
    return found if len(found) >= 2 else []


def head_boxes(true_xy: FloatArray, labeled: NDArray[np.bool_], head: list[int]) -> FloatArray:
    """(N, 4) xyxy box of each image's labeled head keypoints; nan rows where fewer than 2."""
    truth = np.asarray(true_xy, dtype=np.float64)[:, head]
    mask = np.asarray(labeled, dtype=bool)[:, head]
    boxes = np.full((len(truth), 4), np.nan)
    for i in range(len(truth)):
        points = truth[i][mask[i]]
        if len(points) >= 2:
            boxes[i] = [*points.min(axis=0), *points.max(axis=0)]
    return boxes


def pckh(
    predicted_xy: FloatArray,
    true_xy: FloatArray,
    labeled: NDArray[np.bool_],
    names: list[str],
    alpha: float = 0.5,
) -> PckResult | None:
    """PCKh@alpha over the images whose head box exists; None when the schema has no head."""
    head = head_keypoints(names)
    if not head:
        return None
    boxes = head_boxes(true_xy, labeled, head)
    usable = ~np.isnan(boxes[:, 0])
    norm = head_normalizer(boxes[usable])
    if not usable.any() or not (norm > 0).all():
        return None
    return pck(
        np.asarray(predicted_xy)[usable], np.asarray(true_xy)[usable],
        np.asarray(labeled)[usable], norm, alpha,
    )  # fmt: skip
