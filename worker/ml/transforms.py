"""Batched random warps of the square network input, in torch.

Spaces (`imaging.geometry`): `image` (original pixels), `input` (the S x S network input),
`heatmap` (S/4 x S/4); `imaging.geometry.letterbox` maps image <-> input. A warp is a 3x3
homography in input pixels; `to_heatmap_homography` conjugates it by the input -> heatmap
scaling so images, heatmaps and keypoints move together.

Perspective sampling follows Moskvyak & Maire (2017): each corner of the square moves
independently by at most `jitter * S`, so the warp can never fold or become extreme.
"""

from __future__ import annotations

import math

import kornia.geometry.transform as kgt
import torch
from torch import Tensor

from imaging.geometry import input_to_heatmap
from worker.ml.config import AugmentConfig


def to_heatmap_homography(homography: Tensor, stride: int) -> Tensor:
    """The same warp expressed on heatmaps: S @ H @ S^-1 with S the input -> heatmap map."""
    m = input_to_heatmap(stride)
    s = torch.tensor(
        [[m.scale, 0, m.offset], [0, m.scale, m.offset], [0, 0, 1]],
        dtype=homography.dtype,
        device=homography.device,
    )
    conjugated: Tensor = s @ homography @ torch.linalg.inv(s)
    return conjugated


def warp(tensor: Tensor, homography: Tensor, size: int) -> Tensor:
    """Warp (B, C, size, size) by (B, 3, 3) in pixel coordinates; outside becomes 0."""
    warped: Tensor = kgt.warp_perspective(
        tensor, homography.to(tensor.dtype), (size, size), align_corners=True
    )
    return warped


def warp_points(xy: Tensor, homography: Tensor) -> Tensor:
    """(B, K, 2) points through (B, 3, 3) homographies."""
    ones = torch.ones_like(xy[..., :1])
    mapped = torch.cat([xy, ones], dim=-1) @ homography.transpose(1, 2)
    return mapped[..., :2] / mapped[..., 2:]


def random_perspective(batch: int, size: int, jitter: float, generator: torch.Generator) -> Tensor:
    """(B, 3, 3) perspective warps of the size x size square with bounded corner jitter."""
    last = size - 1.0
    corners = torch.tensor([[0.0, 0.0], [last, 0.0], [last, last], [0.0, last]])
    corners = corners.expand(batch, 4, 2)
    shift = (torch.rand(batch, 4, 2, generator=generator) * 2 - 1) * jitter * size
    matrix: Tensor = kgt.get_perspective_transform(corners, corners + shift)
    return matrix


def random_similarity(
    batch: int, size: int, config: AugmentConfig, allow_flip: bool, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """(B, 3, 3) scale/rotation/flip about the center, and the (B,) flip flags."""
    low, high = config.scale
    scale = low + (high - low) * torch.rand(batch, generator=generator)
    angle = (torch.rand(batch, generator=generator) * 2 - 1) * math.radians(config.rotation_deg)
    flip = torch.rand(batch, generator=generator) < (config.flip_prob if allow_flip else 0.0)
    sign = 1.0 - 2.0 * flip.float()
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    c = (size - 1) / 2
    matrix = torch.zeros(batch, 3, 3)
    matrix[:, 0, 0], matrix[:, 0, 1] = cos * sign, -sin
    matrix[:, 1, 0], matrix[:, 1, 1] = sin * sign, cos
    matrix[:, 0, 2] = c - (matrix[:, 0, 0] + matrix[:, 0, 1]) * c
    matrix[:, 1, 2] = c - (matrix[:, 1, 0] + matrix[:, 1, 1]) * c
    matrix[:, 2, 2] = 1.0
    return matrix, flip


def flip_permutation(num_keypoints: int, flip_pairs: list[tuple[int, int]]) -> Tensor:
    permutation = list(range(num_keypoints))
    for a, b in flip_pairs:
        permutation[a], permutation[b] = b, a
    return torch.tensor(permutation)


def swap_flipped(values: Tensor, flipped: Tensor, permutation: Tensor) -> Tensor:
    """Re-index keypoints (dim 1) of flipped samples so "left" stays left after a mirror."""
    swapped = values[:, permutation.to(values.device)]
    shape = (-1,) + (1,) * (values.dim() - 1)
    return torch.where(flipped.view(shape).to(values.device), swapped, values)


def color_jitter(images: Tensor, strength: float, generator: torch.Generator) -> Tensor:
    """Per-sample brightness, contrast and saturation jitter of (B, 3, H, W) in [0, 1]."""
    if strength == 0:
        return images
    batch = images.shape[0]

    def factor() -> Tensor:
        return (1 + (torch.rand(batch, 1, 1, 1, generator=generator) * 2 - 1) * strength).to(
            images.device
        )

    gray = images.mean(dim=1, keepdim=True)
    images = gray + (images - gray) * factor()  # saturation
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    images = mean + (images - mean) * factor()  # contrast
    return (images * factor()).clamp(0, 1)  # brightness
