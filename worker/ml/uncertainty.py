"""How much a human label on an image would teach the model, from the paper's own constraints.

Four per-keypoint signals, each 0 for a keypoint the model is sure of (§3):
- `equivariance` (TE): the peak on x versus the peaks on random perspective warps g(x) mapped
  back by g⁻¹, as a fraction of the input side. An exactly equivariant model scores 0.
- `invariance` (TI): spread of the unit-length representation z_i over x and its warps (mean
  squared distance to their mean; 0 when z_i does not move, at most 1).
- `semantic` (SC): 1 - p(k | z_k), the keypoint classifier's probability that keypoint k's
  representation is keypoint k. It is high both when the classifier is unsure (entropy) and
  when it names another keypoint (misclassification), which one number captures.
- `low_confidence`: 1 - heatmap peak value (the peak of a well-formed Gaussian is ~1).

`combine` rank-normalises each signal over every (image, keypoint) of the pool and averages
the four: the signals have unrelated scales (pixels, squared distances, probabilities), and
ranks need no tuning of weights. An image's score is the mean over the keypoints that still
need a label. `diverse_order` then orders the pool by uncertainty-weighted k-center greedy on
the concatenated z, so the next batch is not ten near-identical video frames.

To add a signal: compute it in `measure` as a (N, K) array where 0 means certain, add it to
`Signals` and `SIGNALS`; `combine` picks it up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as nnf
from numpy.typing import NDArray
from torch import Tensor

from worker.ml import heatmaps as hm
from worker.ml.model import KeypointModel, KeypointOutput
from worker.ml.predict import predict_input
from worker.ml.transforms import random_perspective, warp, warp_points

FloatArray = NDArray[np.float64]
Network = Callable[[Tensor], KeypointOutput]
SIGNALS = ("equivariance", "invariance", "semantic", "low_confidence")
_FIELDS = (*SIGNALS, "xy_input", "confidence", "z")


@dataclass(frozen=True)
class UncertaintyConfig:
    num_warps: int = 4
    # Milder than training's 0.15: the question is "is the answer stable", not "can it cope".
    jitter: float = 0.1
    seed: int = 0
    batch_size: int = 16

    def __post_init__(self) -> None:
        if self.num_warps < 1:
            raise ValueError("num_warps must be >= 1")
        if not 0 < self.jitter < 0.5:
            raise ValueError("jitter must be in (0, 0.5)")


@dataclass(frozen=True)
class Signals:
    """Per image and keypoint, (N, K) each; `xy_input` (N, K, 2) and `z` (N, K, C) of x."""

    equivariance: FloatArray
    invariance: FloatArray
    semantic: FloatArray
    low_confidence: FloatArray
    xy_input: FloatArray
    confidence: FloatArray
    z: NDArray[np.float32]

    def stacked(self) -> FloatArray:
        """(S, N, K) in `SIGNALS` order."""
        return np.stack([getattr(self, name) for name in SIGNALS])

    @staticmethod
    def concat(parts: list[Signals]) -> Signals:
        """Signals of consecutive chunks of images, joined along the image axis."""
        fields = {name: np.concatenate([getattr(p, name) for p in parts]) for name in _FIELDS}
        return Signals(**fields)


@torch.no_grad()
def measure(
    model: Network,
    images_uint8: Tensor,
    stride: int,
    config: UncertaintyConfig,
    device: torch.device,
) -> Signals:
    """(N, 3, S, S) uint8 letterboxed images -> the four signals for each keypoint."""
    if isinstance(model, torch.nn.Module):
        model.eval()
    generator = torch.Generator().manual_seed(config.seed)
    parts: list[dict[str, Tensor]] = []
    for start in range(0, images_uint8.shape[0], config.batch_size):
        chunk = images_uint8[start : start + config.batch_size].to(device).float() / 255
        parts.append(_measure_chunk(model, chunk, stride, config, generator))
    joined = {key: torch.cat([p[key] for p in parts]).double().numpy() for key in parts[0]}
    return Signals(
        equivariance=joined["equivariance"],
        invariance=joined["invariance"],
        semantic=joined["semantic"],
        low_confidence=1.0 - np.clip(joined["confidence"], 0.0, 1.0),
        xy_input=joined["xy_input"],
        confidence=joined["confidence"],
        z=joined["z"].astype(np.float32),
    )


def _measure_chunk(
    model: Network, images: Tensor, stride: int, config: UncertaintyConfig, gen: torch.Generator
) -> dict[str, Tensor]:
    batch, size = images.shape[0], images.shape[-1]
    out = model(images)
    xy_heat, confidence = hm.decode(out.heatmaps.float())
    xy = hm.heatmap_to_input(xy_heat, stride).cpu()  # (B, K, 2) input pixels
    num_k = xy.shape[1]
    probs = out.logits.float().softmax(dim=-1).cpu()  # (B, K, K)
    semantic = 1.0 - probs.diagonal(dim1=1, dim2=2)
    z_views = [nnf.normalize(out.z.float().cpu(), dim=-1)]
    errors = torch.zeros(batch, num_k)
    counts = torch.zeros(batch, num_k)
    for _ in range(config.num_warps):
        homography = random_perspective(batch, size, config.jitter, gen)  # input pixels
        warped = warp(images, homography.to(images.device), size)
        out_w = model(warped)
        xy_w = hm.heatmap_to_input(hm.decode(out_w.heatmaps.float())[0], stride).cpu()
        back = warp_points(xy_w.double(), torch.linalg.inv(homography.double()))
        # A keypoint that g moves out of the frame cannot be found in g(x); skip that pair.
        expected = warp_points(xy.double(), homography.double())
        inside = ((expected >= -0.5) & (expected <= size - 0.5)).all(dim=-1)
        distance = (back - xy.double()).norm(dim=-1) / size
        errors += torch.where(inside, distance, torch.zeros_like(distance)).float()
        counts += inside.float()
        z_views.append(nnf.normalize(out_w.z.float().cpu(), dim=-1))
    z_all = torch.stack(z_views)  # (V, B, K, C)
    spread = ((z_all - z_all.mean(dim=0)) ** 2).sum(dim=-1).mean(dim=0)  # (B, K)
    return {
        "equivariance": errors / counts.clamp(min=1),
        "invariance": spread,
        "semantic": semantic,
        "confidence": confidence.cpu(),
        "xy_input": xy,
        "z": out.z.float().cpu(),
    }


def rank_normalize(values: FloatArray) -> FloatArray:
    """Average ranks scaled to [0, 1] over all entries; ties share a rank, so a constant signal
    gives 0.5 everywhere and cannot change an ordering."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size <= 1:
        return np.zeros_like(values, dtype=np.float64)
    order = np.argsort(flat, kind="stable")
    ranks = np.empty(flat.size)
    ranks[order] = np.arange(flat.size, dtype=np.float64)
    sorted_values = flat[order]
    # Average the ranks of tied values.
    _, starts, counts = np.unique(sorted_values, return_index=True, return_counts=True)
    for start, count in zip(starts, counts, strict=True):
        if count > 1:
            ranks[order[start : start + count]] = start + (count - 1) / 2
    result: FloatArray = (ranks / (flat.size - 1)).reshape(np.shape(values))
    return result


def combine(
    signals: Signals, needs_label: NDArray[np.bool_] | None = None
) -> tuple[FloatArray, FloatArray]:
    """Per-keypoint uncertainty (N, K) in [0, 1] and an image score (N,).

    The image score averages the keypoints in `needs_label` (default: all); an image with none
    left scores 0.
    """
    stacked = signals.stacked()
    per_keypoint = np.mean([rank_normalize(s) for s in stacked], axis=0)
    mask = np.ones(per_keypoint.shape, bool) if needs_label is None else np.asarray(needs_label)
    counts = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(counts > 0, (per_keypoint * mask).sum(axis=1) / counts, 0.0)
    return per_keypoint, score


def embedding(z: NDArray[np.float32]) -> FloatArray:
    """(N, K, C) -> (N, K*C): unit-length z_i concatenated and scaled to unit length."""
    zz = np.asarray(z, dtype=np.float64)
    zz = zz / np.maximum(np.linalg.norm(zz, axis=-1, keepdims=True), 1e-12)
    result: FloatArray = zz.reshape(len(zz), -1) / np.sqrt(max(zz.shape[1], 1))
    return result


def diverse_order(
    features: FloatArray,
    scores: FloatArray,
    reference: FloatArray | None = None,
    max_diverse: int = 1000,
) -> list[int]:
    """All N indices in the order to label them: uncertainty-weighted k-center greedy.

    Each step picks argmax score_i * d_i, with d_i the distance from i to the nearest image
    already picked or in `reference` (images labeled already). A near-duplicate of a picked
    frame has d ≈ 0 and waits, however uncertain; a prefix of the order is a diverse batch.
    The greedy runs over the `max_diverse` highest scores (it costs O(M² D)); the rest follow
    by score, far beyond any batch an annotator will reach before the next retraining.
    """
    n = len(features)
    if n == 0:
        return []
    weight = np.asarray(scores, dtype=np.float64) + 1e-6  # an all-zero score still orders
    by_score = [int(i) for i in np.argsort(-weight, kind="stable")]
    candidates = np.array(by_score[:max_diverse])
    feats = np.asarray(features, dtype=np.float64)[candidates]
    weight = weight[candidates]
    nearest = np.full(len(candidates), np.inf)
    if reference is not None and len(reference):
        for ref in np.asarray(reference, dtype=np.float64):
            nearest = np.minimum(nearest, np.linalg.norm(feats - ref, axis=1))
    picked: list[int] = []
    free = np.ones(len(candidates), bool)
    for _ in range(len(candidates)):
        # Nothing picked and no reference yet: every distance is infinite; take the top score.
        gain = weight * nearest if np.isfinite(nearest).all() else weight.copy()
        best = int(np.argmax(np.where(free, gain, -np.inf)))
        picked.append(best)
        free[best] = False
        nearest = np.minimum(nearest, np.linalg.norm(feats - feats[best], axis=1))
    return [int(candidates[i]) for i in picked] + by_score[max_diverse:]


def labeling_order(
    model: KeypointModel,
    signals: Signals,
    reference_images: Tensor | None,
    device: torch.device,
    needs_label: NDArray[np.bool_] | None = None,
) -> tuple[FloatArray, FloatArray, list[int]]:
    """Per-keypoint uncertainty, image scores (`combine`) and the order to ask for labels in
    (`diverse_order` on z), away from `reference_images`: the images labeled already, (R, 3,
    S, S) uint8 letterboxed, or None. The one ranking the worker, its video picker and the
    benches share."""
    per_keypoint, scores = combine(signals, needs_label)
    reference = None
    if reference_images is not None and len(reference_images):
        reference = embedding(predict_input(model, reference_images, device)[2].numpy())
    return per_keypoint, scores, diverse_order(embedding(signals.z), scores, reference)
