"""What a trained model says about given labels: its own prediction, and how the keypoint
classifier (KCN, §3.1) reads each label's spot.

z_k at a label is computed exactly as training computes it for labeled images (§4.2): the
predicted heatmap of keypoint k is replaced by a Gaussian at the label (the training target,
same sigma), then z_k = GMP(F ⊙ h_k) and KCN(z_k) gives a distribution over keypoints. A label
placed on another keypoint's spot gives a z that the KCN assigns to that other keypoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from worker.ml import heatmaps as hm
from worker.ml.model import KeypointModel


@dataclass(frozen=True)
class Readout:
    """Per image, in the model's keypoint order and input pixels."""

    xy_input: NDArray[np.float64]  # (N, K, 2) predicted points
    peak: NDArray[np.float64]  # (N, K) raw heatmap peak (calibrate before use)
    label_probs: NDArray[np.float64]  # (N, K, K): row k = KCN softmax of z at label k


def represent_labels(
    model: KeypointModel,
    features: torch.Tensor,
    labels_xy_input: torch.Tensor,
    labeled: torch.Tensor,
    sigma: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """z (B, K, C) and KCN logits (B, K, K) at labels (B, K, 2, input pixels) given F, and
    which labels give a reading (B, K): a label off the heatmap gets an all-zero target."""
    size = (features.shape[-2], features.shape[-1])
    at_labels = hm.input_to_heatmap(labels_xy_input, model.config.heatmap_stride)
    targets, supervised = hm.encode(at_labels.float(), labeled, size, sigma)
    z, logits = model.represent(features.float(), targets)
    return z, logits, supervised


@torch.no_grad()
def read_labels(
    model: KeypointModel,
    images_uint8: torch.Tensor,
    labels_xy_input: torch.Tensor,
    labeled: torch.Tensor,
    sigma: float,
    device: torch.device,
    batch_size: int = 16,
) -> Readout:
    """images (N, 3, S, S) uint8, labels (N, K, 2) input pixels, labeled (N, K) bool.

    Rows of `label_probs` for unlabeled keypoints are NaN."""
    model.eval()
    stride = model.config.heatmap_stride
    xys, peaks, probs = [], [], []
    for start in range(0, images_uint8.shape[0], batch_size):
        chunk = images_uint8[start : start + batch_size].to(device).float() / 255
        heatmaps, features = model.localize(chunk)
        xy_heatmap, peak = hm.decode(heatmaps.float())
        xys.append(hm.heatmap_to_input(xy_heatmap, stride).cpu())
        peaks.append(peak.cpu())
        _, logits, supervised = represent_labels(
            model, features, labels_xy_input[start : start + batch_size].to(device),
            labeled[start : start + batch_size].to(device), sigma,
        )  # fmt: skip
        p = torch.softmax(logits.float(), dim=-1)
        # A label off the heatmap gets an all-zero target, hence a meaningless z: no reading.
        p = torch.where(supervised[..., None], p, torch.full_like(p, float("nan")))
        probs.append(p.cpu())
    return Readout(
        torch.cat(xys).double().numpy(),
        torch.cat(peaks).double().numpy(),
        torch.cat(probs).double().numpy(),
    )
