"""The model a worker trains when the admin names none, from what the machine has."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.config import get_settings
from worker.device import default_model


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the hub probe answers "unreachable" at once
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_an_offline_gpu_without_hrnet_weights_trains_the_pretrained_small_backbone() -> None:
    model = default_model("cuda")
    assert (model.backbone, model.input_size, model.pretrained) == (
        "efficientnet_lite0",
        256,
        "auto",
    )


def test_a_gpu_with_hrnet_weights_trains_the_papers_hrnet_from_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KEYLOOP_HRNET_WEIGHTS", "/weights/hrnet_w32.safetensors")
    get_settings.cache_clear()
    model = default_model("cuda")
    assert (model.backbone, model.input_size) == ("hrnet_w32", 256)
    assert model.pretrained == "/weights/hrnet_w32.safetensors"
    # Another backbone never gets HRNet's file.
    assert default_model("cuda", "efficientnet_lite0").pretrained == "auto"
    assert default_model("cuda", "hrnet_w18_small").pretrained == "auto"


def test_the_cpu_default_ignores_hrnet_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYLOOP_HRNET_WEIGHTS", "/weights/hrnet_w32.safetensors")
    get_settings.cache_clear()
    assert default_model("cpu").backbone == "efficientnet_lite0"
    chosen = default_model("cpu", "hrnet_w32")
    assert (chosen.backbone, chosen.pretrained) == ("hrnet_w32", "/weights/hrnet_w32.safetensors")
