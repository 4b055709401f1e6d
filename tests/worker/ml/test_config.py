import pytest

from worker.ml.config import LossConfig, ModelConfig, TrainConfig, device_defaults


def test_rejects_enabled_loss_with_zero_weight() -> None:
    with pytest.raises(ValueError, match="sc"):
        LossConfig(lambdas=(1e3, 0.0, 1e2, 1e2))


def test_rejects_input_size_that_is_not_a_multiple_of_32() -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        ModelConfig(input_size=100)


def test_rejects_unknown_backbone_and_bad_batch_fraction() -> None:
    with pytest.raises(ValueError, match="unknown backbone"):
        ModelConfig(backbone="resnet50")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="labeled fraction"):
        TrainConfig(labeled_fraction_in_batch=0.0)


def test_paper_defaults() -> None:
    config = TrainConfig()
    assert config.loss.lambdas == (1e3, 0.5, 1e2, 1e2)
    assert config.lr == 1e-4
    assert config.labeled_per_batch == config.batch_size // 2
    assert TrainConfig(loss=LossConfig.supervised_only()).labeled_per_batch == config.batch_size


def test_round_trips_through_a_plain_dict() -> None:
    config = TrainConfig(model=ModelConfig(input_size=128), max_minutes=3.0, seed=7)
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_device_defaults_pick_small_backbone_on_cpu_and_paper_hrnet_on_gpu() -> None:
    assert device_defaults("cpu").backbone == "efficientnet_lite0"
    assert device_defaults("cpu", "/weights/hrnet.pth").backbone == "efficientnet_lite0"
    gpu = device_defaults("cuda", hrnet_weights="/weights/hrnet.pth")
    assert (gpu.backbone, gpu.input_size, gpu.heatmap_size) == ("hrnet_w32", 256, 64)
    assert gpu.pretrained == "/weights/hrnet.pth"
    online = device_defaults("cuda:0", hrnet_online=True)
    assert (online.backbone, online.pretrained) == ("hrnet_w32", "auto")


def test_gpu_without_hrnet_imagenet_weights_keeps_the_pretrained_small_backbone() -> None:
    offline = device_defaults("cuda")
    assert (offline.backbone, offline.input_size) == ("efficientnet_lite0", 256)
