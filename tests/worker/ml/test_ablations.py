"""Each ablation switch of docs/MODEL.md changes exactly what it says."""

import math
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest
import torch

from worker.ml.checkpoint import load_checkpoint
from worker.ml.config import LossConfig, ModelConfig, TrainConfig
from worker.ml.data import KeypointSchema, LabeledSample, UnlabeledSample
from worker.ml.losses import LossBatch, build_losses
from worker.ml.model import KeypointModel
from worker.ml.train import Progress, add_representations, train

Dots = tuple[list[LabeledSample], list[UnlabeledSample], list[LabeledSample]]
B, K, S, C = 2, 3, 8, 4


def one_step(loss: LossConfig, **overrides: Any) -> TrainConfig:
    fields: dict[str, Any] = {
        "model": ModelConfig(input_size=64, pretrained="none"),
        "loss": loss, "batch_size": 4, "max_steps": 1, "lr": 1e-2, "eval_interval": 10,
    }  # fmt: skip
    fields.update(overrides)
    return TrainConfig(**fields)


def loss_batch(**overrides: torch.Tensor) -> LossBatch:
    torch.manual_seed(0)
    fields = {
        "heatmaps": torch.rand(B, K, S, S), "heatmaps_warped": torch.rand(B, K, S, S),
        "targets": torch.rand(B, K, S, S), "mask": torch.ones(B, K, dtype=torch.bool),
        "targets_warped": torch.rand(B, K, S, S), "mask_warped": torch.ones(B, K, dtype=torch.bool),
        "homography": torch.eye(3).expand(B, 3, 3),
        "logits": torch.randn(B, K, K), "logits_warped": torch.randn(B, K, K),
        "z": torch.randn(B, K, C), "z_warped": torch.randn(B, K, C),
    }  # fmt: skip
    fields.update(overrides)
    return LossBatch(**fields)


@pytest.mark.slow  # trains a step
@pytest.mark.parametrize(
    ("switch", "absent"), [("use_sc", "sc"), ("use_te", "te"), ("use_ti", "ti")]
)
def test_a_switched_off_loss_is_not_computed_in_training(
    switch: str, absent: str, schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, _ = dots
    seen: list[Progress] = []
    changes: dict[str, Any] = {switch: False}
    config = one_step(replace(LossConfig(), **changes))
    train(config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path, on_progress=seen.append)
    assert set(seen[0].losses) == {"supervised", "sc", "te", "ti", "total"} - {absent}


@pytest.mark.slow  # trains a step
@pytest.mark.parametrize("use_sc", [True, False])
def test_without_sc_the_kcn_gets_no_gradient(
    use_sc: bool, schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, _ = dots
    config = one_step(LossConfig(use_sc=use_sc))  # TI still computes z and the KCN logits
    result = train(config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path)
    # The saved KCN is fit to the network either way (classifier_fit.py); Adam keeps state only
    # for parameters that got a gradient.
    names = [name for name, _ in KeypointModel(config.model, 3).named_parameters()]
    stepped = load_checkpoint(result.last_checkpoint)["optimizer"]["state"]
    assert (names.index("kcn.weight") in stepped) is use_sc


@pytest.mark.slow  # trains two steps three times
def test_sc_on_the_classifier_alone_leaves_the_network_as_without_sc(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, _ = dots

    def trained(name: str, loss: LossConfig) -> dict[str, torch.Tensor]:
        config = one_step(loss, max_steps=2)
        result = train(config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path / name)
        return cast(dict[str, torch.Tensor], load_checkpoint(result.last_checkpoint)["model"])

    without_sc = trained("without", LossConfig(use_sc=False))
    classifier = trained("classifier", LossConfig(sc_scope="classifier"))
    network = trained("network", LossConfig(sc_scope="network"))
    localization = [name for name in without_sc if not name.startswith("kcn.")]
    assert all(torch.equal(classifier[n], without_sc[n]) for n in localization)
    assert not all(torch.equal(network[n], without_sc[n]) for n in localization)
    # Both KCNs are readouts, fit at the save to the same network: equal (classifier_fit.py).
    assert torch.equal(classifier["kcn.weight"], without_sc["kcn.weight"])


def test_ti_sum_is_k_times_c_the_mean() -> None:
    batch = loss_batch()
    mean = build_losses(LossConfig(ti_reduction="mean"))["ti"][0](batch)
    summed = build_losses(LossConfig(ti_reduction="sum"))["ti"][0](batch)
    assert float(summed / mean) == pytest.approx(K * C)


def test_ti_on_raw_z_sees_a_length_change_that_unit_z_ignores() -> None:
    z = torch.randn(B, K, C)
    batch = loss_batch(z=z, z_warped=2 * z)
    assert float(build_losses(LossConfig())["ti"][0](batch)) == pytest.approx(0, abs=1e-6)
    assert float(build_losses(LossConfig(ti_normalize=False))["ti"][0](batch)) > 0.1


def test_matched_baseline_supervises_the_warped_view_and_the_plain_one_does_not() -> None:
    batch = loss_batch()
    batch.heatmaps = batch.targets.clone()  # x is perfect, g(x) is not
    matched = build_losses(LossConfig.supervised_only(matched=True))
    plain = build_losses(LossConfig.supervised_only())
    assert set(matched) == set(plain) == {"supervised"}
    assert float(matched["supervised"][0](batch)) > 0.01
    assert float(plain["supervised"][0](batch)) == 0


@pytest.mark.slow  # trains a step
@pytest.mark.parametrize(("matched", "views"), [(True, 2), (False, 1)])
def test_matched_baseline_forwards_both_views_of_the_labeled_images(
    matched: bool, views: int, schema: KeypointSchema, dots: Dots, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sizes: list[int] = []
    localize = KeypointModel.localize

    def recording(self: KeypointModel, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.training:  # not the classifier fit's eval-mode pass at the save
            sizes.append(len(images))
        return localize(self, images)

    monkeypatch.setattr(KeypointModel, "localize", recording)
    config = one_step(LossConfig.supervised_only(matched=matched))
    train(config, schema, dots[0], [], [], checkpoint_dir=tmp_path)
    assert sizes == [views * config.batch_size]


class RecordingModel:
    """Stands in for KeypointModel.represent: returns the heatmaps it was given as z."""

    def represent(
        self, features: torch.Tensor, heatmaps: torch.Tensor, detach_classifier: bool = False
    ) -> tuple[Any, Any]:
        return heatmaps, heatmaps


@pytest.mark.parametrize("gt", [True, False])
def test_ground_truth_switch_decides_what_z_is_pooled_from(gt: bool) -> None:
    batch = loss_batch()
    batch.mask[0, 1] = False  # one unlabeled keypoint keeps its prediction either way
    add_representations(
        cast(KeypointModel, RecordingModel()), batch, torch.zeros(1), torch.zeros(1), gt
    )
    assert batch.z is not None
    assert torch.equal(batch.z[0, 1], batch.heatmaps[0, 1])
    expected = batch.targets if gt else batch.heatmaps
    assert torch.equal(batch.z[0, 0], expected[0, 0]) and torch.equal(batch.z[1], expected[1])


def test_rampup_raises_the_unsupervised_weight_from_near_zero_to_one() -> None:
    config = TrainConfig(rampup_steps=100)
    weights = [config.unsupervised_weight(step) for step in (0, 50, 99, 100, 500)]
    assert weights[0] == pytest.approx(math.exp(-5))
    assert weights == sorted(weights) and weights[-2:] == [1.0, 1.0]
    assert TrainConfig().unsupervised_weight(0) == 1.0
