"""Keypoint localization network (KLN) + keypoint classification network (KCN), §3.1 / §4.2.

KLN: backbone -> the stride 4..32 features, each upsampled to the heatmap size (1/4 input) and
concatenated -> (a) heatmap head -> h (B, K, H, W); (b) a 1x1 conv to C=64 channels -> F.
Representations z_i = GMP(F ⊙ h_i) (B, K, C); KCN is one linear layer C -> K giving logits.

The heatmap head is a small conv stack on the same concatenated features: HRNet's own head is
a 1x1 conv on its highest-resolution branch, but EfficientNet's stride-4 map has only 24
channels, so deeper features must be fused back in to localize.

Training substitutes ground-truth heatmaps for labeled samples before computing z (§4.2), so
`localize` and `represent` are exposed separately; `forward` chains them for inference.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as nnf
from torch import Tensor, nn

from worker.ml.backbones import IMAGENET_MEAN, IMAGENET_STD, build_backbone
from worker.ml.config import ModelConfig
from worker.ml.representation import keypoint_max_pool


@dataclass
class KeypointOutput:
    heatmaps: Tensor  # (B, K, H, W)
    features: Tensor  # F (B, C, H, W)
    z: Tensor  # (B, K, C)
    logits: Tensor  # (B, K, K): KCN scores of each keypoint's representation


class KeypointModel(nn.Module):
    def __init__(self, config: ModelConfig, num_keypoints: int) -> None:
        super().__init__()
        if num_keypoints < 1:
            raise ValueError("a model needs at least one keypoint")
        self.config = config
        self.num_keypoints = num_keypoints
        self.backbone, channels, self.weights_source = build_backbone(
            config.backbone, config.pretrained
        )
        fused = sum(channels)
        hidden = 128
        self.heatmap_head = nn.Sequential(
            nn.Conv2d(fused, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 3, padding=1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, num_keypoints, 1),
        )
        self.feature_proj = nn.Conv2d(fused, config.kcn_channels, 1)
        self.kcn = nn.Linear(config.kcn_channels, num_keypoints)
        # Heatmaps start near zero so early MSE is not dominated by random blobs.
        final = self.heatmap_head[-1]
        assert isinstance(final, nn.Conv2d)
        nn.init.normal_(final.weight, std=1e-3)
        nn.init.zeros_(final.bias)  # type: ignore[arg-type]
        self.mean: Tensor
        self.std: Tensor
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def localize(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """images (B, 3, S, S) in [0, 1] -> heatmaps (B, K, S/4, S/4), F (B, C, S/4, S/4)."""
        x = (images - self.mean) / self.std
        levels: list[Tensor] = self.backbone(x)
        size = levels[0].shape[-2:]
        upsampled = [levels[0]] + [
            nnf.interpolate(level, size=size, mode="bilinear", align_corners=False)
            for level in levels[1:]
        ]
        fused = torch.cat(upsampled, dim=1)
        return self.heatmap_head(fused), self.feature_proj(fused)

    def represent(
        self, features: Tensor, heatmaps: Tensor, detach_classifier: bool = False
    ) -> tuple[Tensor, Tensor]:
        """z (B, K, C) and KCN logits (B, K, K) for given (possibly ground-truth) heatmaps;
        `detach_classifier`: the logits' gradient stops at the KCN."""
        z = keypoint_max_pool(features, heatmaps)
        return z, self.kcn(z.detach() if detach_classifier else z)

    def forward(self, images: Tensor) -> KeypointOutput:
        heatmaps, features = self.localize(images)
        z, logits = self.represent(features, heatmaps)
        return KeypointOutput(heatmaps=heatmaps, features=features, z=z, logits=logits)
