"""Which device a worker computes on (CUDA when present, else the CPU), and the model it
trains there when the admin names none."""

from __future__ import annotations

import os
from dataclasses import replace

import torch

from backend.config import get_settings
from worker.ml.config import Backbone, ModelConfig, device_defaults


def pick_device() -> str:
    forced = os.environ.get("KEYLOOP_DEVICE")
    if forced:
        return forced
    return "cuda" if torch.cuda.is_available() else "cpu"


def default_model(device: str, backbone: Backbone | None = None) -> ModelConfig:
    """`device_defaults` with what this machine has: `KEYLOOP_HRNET_WEIGHTS`, or timm's hub
    when it answers (probed only on a GPU, where HRNet is worth it). A `backbone` other than
    the default gets the ImageNet weights that fit it, never another backbone's file."""
    from worker.ml.backbones import hub_reachable

    weights = get_settings().hrnet_weights
    hrnet_file = str(weights) if weights is not None else None
    online = device.startswith("cuda") and hrnet_file is None and hub_reachable()
    model = device_defaults(device, hrnet_file, online)
    if backbone is None or backbone == model.backbone:
        return model
    pretrained = hrnet_file if backbone == "hrnet_w32" and hrnet_file else "auto"
    return replace(model, backbone=backbone, pretrained=pretrained)
