"""Gaussian heatmap codec as pure functions, separate from the network (cf. mmpose codecs).

Coordinates follow `imaging.geometry` (pixel centres at integers; heatmap pixel j covers input
pixels [stride*j, stride*j + stride)); these are its maps applied to tensors.
"""

from __future__ import annotations

import torch
from torch import Tensor

from imaging import geometry
from imaging.peaks import peak_decode


def input_to_heatmap(xy_input: Tensor, stride: int) -> Tensor:
    m = geometry.input_to_heatmap(stride)
    return xy_input * m.scale + m.offset


def heatmap_to_input(xy_heatmap: Tensor, stride: int) -> Tensor:
    m = geometry.heatmap_to_input(stride)
    return xy_heatmap * m.scale + m.offset


def encode(
    xy_heatmap: Tensor, valid: Tensor, size: tuple[int, int], sigma: float
) -> tuple[Tensor, Tensor]:
    """Gaussian targets (..., K, H, W) with peak 1, and the supervision mask (..., K).

    A keypoint is supervised when `valid` and its center lies on the heatmap; others get an
    all-zero map and mask 0.
    """
    height, width = size
    x, y = xy_heatmap[..., 0], xy_heatmap[..., 1]
    inside = (x >= -0.5) & (x < width - 0.5) & (y >= -0.5) & (y < height - 0.5)
    mask = valid.bool() & inside
    xs = torch.arange(width, dtype=xy_heatmap.dtype, device=xy_heatmap.device)
    ys = torch.arange(height, dtype=xy_heatmap.dtype, device=xy_heatmap.device)
    gx = torch.exp(-((xs - x[..., None]) ** 2) / (2 * sigma**2))  # (..., K, W)
    gy = torch.exp(-((ys - y[..., None]) ** 2) / (2 * sigma**2))  # (..., K, H)
    heatmaps = gy[..., :, None] * gx[..., None, :]  # separable Gaussian (..., K, H, W)
    return heatmaps * mask[..., None, None].to(heatmaps.dtype), mask


def decode(heatmaps: Tensor) -> tuple[Tensor, Tensor]:
    """Peak location (..., K, 2) in heatmap pixels and confidence (peak value) (..., K), on
    the maps' device: `imaging.peaks.peak_decode`, the decode the API's ONNX path runs too.
    The maps are small (K x 64 x 64 per image), so the copy to the CPU costs little."""
    xy, confidence = peak_decode(heatmaps.detach().float().cpu().numpy())
    device = heatmaps.device
    return torch.from_numpy(xy).float().to(device), torch.from_numpy(confidence).float().to(device)
