"""Semantic keypoint representations z_i = GMP(F ⊙ h_i) (§3.1) without the B·K·C·H·W tensor.

The naive product `F[:, None] * h[:, :, None]` holds B·K·C·H·W floats for autograd (at 64x64
heatmaps, K=17, C=64, B=32 that is 570 MB). `keypoint_max_pool` computes the same maximum one
keypoint at a time under no_grad, keeps only the arg-max index (B·K·C), and routes the gradient
through that single location, as max-pooling does. Values and gradients equal the naive
version except on exact ties, where autograd's `amax` splits the gradient between the tied
locations and this function gives it to one.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


class _KeypointMaxPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, features: Tensor, heatmaps: Tensor) -> Tensor:
        # features (B, C, N), heatmaps (B, K, N) with N = H*W
        values = []
        indices = []
        for k in range(heatmaps.shape[1]):
            product = features * heatmaps[:, k : k + 1]  # (B, C, N): one keypoint at a time
            value, index = product.max(dim=2)
            values.append(value)
            indices.append(index)
        index_all = torch.stack(indices, dim=1)  # (B, K, C)
        ctx.save_for_backward(features, heatmaps, index_all)
        return torch.stack(values, dim=1)  # (B, K, C)

    @staticmethod
    def backward(ctx: Any, grad_z: Tensor) -> tuple[Tensor | None, Tensor | None]:
        features, heatmaps, index = ctx.saved_tensors
        batch, keypoints, channels = index.shape
        grad_features = grad_heatmaps = None
        if ctx.needs_input_grad[0]:
            heat_at = heatmaps.gather(2, index)  # (B, K, C): h[b, k, idx[b, k, c]]
            grad_features = torch.zeros_like(features).scatter_add_(
                2, index.transpose(1, 2), (grad_z * heat_at).transpose(1, 2)
            )
        if ctx.needs_input_grad[1]:
            expanded = features.unsqueeze(1).expand(batch, keypoints, channels, -1)  # a view
            feat_at = expanded.gather(3, index.unsqueeze(3)).squeeze(3)  # F[b, c, idx[b, k, c]]
            grad_heatmaps = torch.zeros_like(heatmaps).scatter_add_(2, index, grad_z * feat_at)
        return grad_features, grad_heatmaps


def keypoint_max_pool(features: Tensor, heatmaps: Tensor) -> Tensor:
    """z (B, K, C) from features F (B, C, H, W) and heatmaps h (B, K, H, W)."""
    if features.shape[-2:] != heatmaps.shape[-2:]:
        raise ValueError(f"F {tuple(features.shape)} and h {tuple(heatmaps.shape)} differ in size")
    # Max-pooling picks one location; float32 keeps that choice stable under AMP.
    flat_f = features.float().flatten(2)
    flat_h = heatmaps.float().flatten(2)
    result: Tensor = _KeypointMaxPool.apply(flat_f, flat_h)
    return result


def keypoint_max_pool_naive(features: Tensor, heatmaps: Tensor) -> Tensor:
    """Reference implementation, materialises (B, K, C, H, W); for tests."""
    product = features.float()[:, None] * heatmaps.float()[:, :, None]
    return product.flatten(3).amax(dim=3)
