"""Geometry: letterboxing to the square network input, and batched random warps.

Spaces: `image` (original pixels), `input` (the S x S network input), `heatmap` (S/4 x S/4).
`Letterbox` converts image <-> input; `heatmaps.input_to_heatmap` converts input -> heatmap.
A warp is a 3x3 homography in input pixels; `to_heatmap_homography` conjugates it by the
input -> heatmap scaling so images, heatmaps and keypoints move together.

Perspective sampling follows Moskvyak & Maire (2017): each corner of the square moves
independently by at most `jitter * S`, so the warp can never fold or become extreme.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import kornia.geometry.transform as kgt
import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image
from torch import Tensor

from worker.ml.config import AugmentConfig

Roi = tuple[float, float, float, float]  # x, y, w, h in image pixels


@dataclass(frozen=True)
class Letterbox:
    """Axis-aligned map image -> input: xy_input = (xy_image - origin + 0.5) * scale - 0.5 + pad."""

    origin_x: float
    origin_y: float
    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float

    def image_to_input(self, xy_image: NDArray[np.float64]) -> NDArray[np.float64]:
        origin = np.array([self.origin_x, self.origin_y])
        scale = np.array([self.scale_x, self.scale_y])
        pad = np.array([self.pad_x, self.pad_y])
        result: NDArray[np.float64] = (np.asarray(xy_image, np.float64) - origin + 0.5) * scale
        result += pad - 0.5
        return result

    def input_to_image(self, xy_input: NDArray[np.float64]) -> NDArray[np.float64]:
        origin = np.array([self.origin_x, self.origin_y])
        scale = np.array([self.scale_x, self.scale_y])
        pad = np.array([self.pad_x, self.pad_y])
        result: NDArray[np.float64] = (np.asarray(xy_input, np.float64) - pad + 0.5) / scale
        result += origin - 0.5
        return result


def letterbox(
    image: NDArray[np.uint8], size: int, roi: Roi | None = None
) -> tuple[NDArray[np.uint8], Letterbox]:
    """Crop `roi` (default: whole image), resize keeping aspect, center on a black square."""
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
    resized = np.asarray(Image.fromarray(crop).resize((new_w, new_h), Image.Resampling.BILINEAR))
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    box = Letterbox(x0, y0, new_w / crop_w, new_h / crop_h, pad_x, pad_y)
    return canvas, box


def to_heatmap_homography(homography: Tensor, stride: int) -> Tensor:
    """The same warp expressed on heatmaps: S @ H @ S^-1 with S the input -> heatmap map."""
    s = torch.tensor(
        [[1 / stride, 0, 0.5 / stride - 0.5], [0, 1 / stride, 0.5 / stride - 0.5], [0, 0, 1]],
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
