"""Builds one training batch on the device: view x (augmented) and view g(x) (perspective).

x = A(image) with A a random scale/rotation/flip about the center plus color jitter; g is a
bounded random perspective (§4.2) applied to x, to its keypoints and, at heatmap scale, to
heatmaps (the TE loss). Keypoints that leave the frame lose their supervision.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from worker.ml import heatmaps as hm
from worker.ml.config import TrainConfig
from worker.ml.transforms import (
    color_jitter,
    random_perspective,
    random_similarity,
    swap_flipped,
    to_heatmap_homography,
    warp,
    warp_points,
)


@dataclass
class Views:
    images: Tensor  # x (B, 3, S, S) float in [0, 1]
    images_warped: Tensor  # g(x)
    targets: Tensor  # (B, K, H, W) for x
    mask: Tensor  # (B, K) bool
    targets_warped: Tensor
    mask_warped: Tensor
    homography: Tensor  # g at heatmap scale (B, 3, 3)


def make_views(
    images_uint8: Tensor,
    xy_input: Tensor,
    supervised: Tensor,
    config: TrainConfig,
    flip_permutation: Tensor | None,
    generator: torch.Generator,
    device: torch.device,
    with_warped_view: bool,
) -> Views:
    """Rows without labels pass `supervised` all False (their targets are all zero)."""
    size = config.model.input_size
    stride = config.model.heatmap_stride
    hsize = config.model.heatmap_size
    batch = images_uint8.shape[0]
    images = images_uint8.to(device).float() / 255
    similarity, flipped = random_similarity(
        batch, size, config.augment, flip_permutation is not None, generator
    )
    images = warp(images, similarity.to(device), size)
    images = color_jitter(images, config.augment.color_jitter, generator)
    xy = warp_points(xy_input, similarity)
    mask = supervised.clone()
    if flip_permutation is not None:
        xy = swap_flipped(xy, flipped, flip_permutation)
        mask = swap_flipped(mask, flipped, flip_permutation)
    targets, mask = hm.encode(hm.input_to_heatmap(xy, stride), mask, (hsize, hsize), config.sigma)
    if not with_warped_view:
        eye = torch.eye(3).expand(batch, 3, 3)
        return Views(
            images, images, targets.to(device), mask.to(device), targets.to(device),
            mask.to(device), eye.to(device),
        )  # fmt: skip
    perspective = random_perspective(batch, size, config.augment.perspective_jitter, generator)
    images_warped = warp(images, perspective.to(device), size)
    xy_warped = warp_points(xy, perspective)
    targets_warped, mask_warped = hm.encode(
        hm.input_to_heatmap(xy_warped, stride), mask, (hsize, hsize), config.sigma
    )
    return Views(
        images=images,
        images_warped=images_warped,
        targets=targets.to(device),
        mask=mask.to(device),
        targets_warped=targets_warped.to(device),
        mask_warped=mask_warped.to(device),
        homography=to_heatmap_homography(perspective, stride).to(device),
    )
