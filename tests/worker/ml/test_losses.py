import pytest
import torch

from worker.ml import heatmaps as hm
from worker.ml.config import LossConfig
from worker.ml.losses import (
    LossBatch,
    SemanticConsistencyLoss,
    SupervisedLoss,
    TransformationEquivarianceLoss,
    TransformationInvarianceLoss,
    build_losses,
    masked_heatmap_mse,
    with_ground_truth,
)
from worker.ml.transforms import random_perspective, to_heatmap_homography, warp

B, K, S, C = 2, 3, 16, 4


def batch(**overrides: torch.Tensor) -> LossBatch:
    torch.manual_seed(0)
    fields: dict[str, torch.Tensor] = {
        "heatmaps": torch.rand(B, K, S, S),
        "heatmaps_warped": torch.rand(B, K, S, S),
        "targets": torch.zeros(B, K, S, S),
        "mask": torch.zeros(B, K, dtype=torch.bool),
        "targets_warped": torch.zeros(B, K, S, S),
        "mask_warped": torch.zeros(B, K, dtype=torch.bool),
        "homography": torch.eye(3).expand(B, 3, 3),
        "logits": torch.randn(B, K, K),
        "logits_warped": torch.randn(B, K, K),
        "z": torch.randn(B, K, C),
        "z_warped": torch.randn(B, K, C),
    }
    fields.update(overrides)
    return LossBatch(**fields)


def test_supervised_loss_ignores_unlabeled_keypoints() -> None:
    predicted = torch.zeros(1, 2, S, S)
    targets = torch.ones(1, 2, S, S)
    predicted[0, 1] = 99.0  # wildly wrong, but unlabeled
    loss = masked_heatmap_mse(predicted, targets, torch.tensor([[True, False]]))
    assert loss.item() == pytest.approx(1.0)
    assert masked_heatmap_mse(predicted, targets, torch.zeros(1, 2, dtype=torch.bool)) == 0


def test_supervised_loss_is_zero_at_the_targets_on_both_views() -> None:
    targets = torch.rand(B, K, S, S)
    mask = torch.ones(B, K, dtype=torch.bool)
    exact = batch(heatmaps=targets, heatmaps_warped=targets, targets=targets,
                  targets_warped=targets, mask=mask, mask_warped=mask)  # fmt: skip
    assert SupervisedLoss()(exact) == 0
    wrong_warped = batch(heatmaps=targets, targets=targets, targets_warped=targets,
                         mask=mask, mask_warped=mask)  # fmt: skip
    assert SupervisedLoss()(wrong_warped) > 0
    assert SupervisedLoss(warped_view=False)(wrong_warped) == 0


def test_te_is_zero_for_exactly_equivariant_heatmaps_and_positive_otherwise() -> None:
    generator = torch.Generator().manual_seed(1)
    homography = to_heatmap_homography(random_perspective(B, 4 * S, 0.15, generator), 4)
    xy = torch.tensor([[[4.0, 5.0], [8.0, 8.0], [11.0, 3.0]]]).expand(B, K, 2)
    heatmaps, _ = hm.encode(xy, torch.ones(B, K), (S, S), 1.5)
    equivariant = batch(heatmaps=heatmaps, heatmaps_warped=warp(heatmaps, homography, S),
                        homography=homography)  # fmt: skip
    assert TransformationEquivarianceLoss()(equivariant).item() == pytest.approx(0.0, abs=1e-10)
    not_warped = batch(heatmaps=heatmaps, heatmaps_warped=heatmaps, homography=homography)
    assert TransformationEquivarianceLoss()(not_warped) > 1e-4


def test_te_uses_ground_truth_instead_of_prediction_for_labeled_keypoints() -> None:
    targets = torch.rand(B, K, S, S)
    mask = torch.ones(B, K, dtype=torch.bool)
    # The prediction for x is garbage, but labeled: TE compares f(g(x)) with g(ground truth).
    labeled = batch(heatmaps=torch.rand(B, K, S, S), heatmaps_warped=targets, targets=targets,
                    mask=mask)  # fmt: skip
    assert TransformationEquivarianceLoss()(labeled).item() == pytest.approx(0.0, abs=1e-10)
    assert torch.equal(with_ground_truth(labeled.heatmaps, targets, mask), targets)


def test_ti_is_zero_for_identical_representations() -> None:
    z = torch.randn(B, K, C)
    assert TransformationInvarianceLoss()(batch(z=z, z_warped=z.clone())) == 0
    assert TransformationInvarianceLoss()(batch(z=z, z_warped=-z)) > 0
    # Normalised TI ignores scale, so shrinking F cannot satisfy it; the raw variant does not.
    assert TransformationInvarianceLoss()(batch(z=z, z_warped=3 * z)).item() < 1e-12
    assert TransformationInvarianceLoss(normalize=False)(batch(z=z, z_warped=3 * z)) > 0


def test_sc_is_low_when_keypoints_are_separable_and_chance_when_not() -> None:
    separable = 20 * torch.eye(K).expand(B, K, K)
    assert SemanticConsistencyLoss()(batch(logits=separable, logits_warped=separable)) < 1e-6
    flat = torch.zeros(B, K, K)
    chance = SemanticConsistencyLoss()(batch(logits=flat, logits_warped=flat))
    assert chance.item() == pytest.approx(torch.log(torch.tensor(float(K))).item())


def test_build_losses_holds_exactly_the_enabled_losses_with_their_weights() -> None:
    assert list(build_losses(LossConfig.supervised_only())) == ["supervised"]
    losses = build_losses(LossConfig(use_te=False))
    assert list(losses) == ["supervised", "sc", "ti"]
    assert [weight for _, weight in losses.values()] == [1e3, 0.5, 1e2]
