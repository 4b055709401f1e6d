"""Gaussian heatmap codec as pure functions, separate from the network (cf. mmpose codecs).

Coordinates follow `imaging.geometry` (pixel centres at integers; heatmap pixel j covers input
pixels [stride*j, stride*j + stride)); these are its maps applied to tensors.
"""

from __future__ import annotations

import torch
from torch import Tensor

from imaging import geometry


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
    """Peak location (..., K, 2) in heatmap pixels and confidence (peak value) (..., K).

    Sub-pixel refinement fits a parabola to the log-heatmap around the arg-max along each axis,
    which is exact for a Gaussian peak (its log is quadratic).
    """
    *lead, height, width = heatmaps.shape
    flat = heatmaps.detach().float().reshape(-1, height * width)
    confidence, index = flat.max(dim=1)
    px = (index % width).long()
    py = torch.div(index, width, rounding_mode="floor").long()
    maps = flat.view(-1, height, width)
    rows = torch.arange(maps.shape[0], device=maps.device)

    def refine(peak: Tensor, other: Tensor, length: int, along_x: bool) -> Tensor:
        # Three samples centred on the peak (shifted inward at the border): a parabola through
        # log-values finds a Gaussian's vertex exactly, even from one side of it.
        if length < 3:
            return peak.float()
        centre = peak.clamp(1, length - 2)

        def at(offset: int) -> Tensor:
            index = centre + offset
            value = maps[rows, other, index] if along_x else maps[rows, index, other]
            return torch.log(value.clamp(min=1e-10))

        lp, lc, ln = at(-1), at(0), at(1)
        curvature = lp - 2 * lc + ln
        safe = torch.where(curvature < 0, curvature, -torch.ones_like(curvature))
        vertex = centre.float() + 0.5 * (lp - ln) / safe
        ok = (curvature < 0) & (confidence > 0)
        refined = torch.minimum(torch.maximum(vertex, peak - 1.0), peak + 1.0)
        return torch.where(ok, refined, peak.float())

    x = refine(px, py, width, along_x=True)
    y = refine(py, px, height, along_x=False)
    xy = torch.stack([x, y], dim=1)
    return xy.view(*lead, 2), confidence.view(*lead)
