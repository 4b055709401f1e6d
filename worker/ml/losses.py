"""The four losses of Eq. 5, as small classes collected in an explicit dict.

`build_losses(config)` returns {name: (loss, weight)} for the enabled losses only, so a
switched-off loss never runs and an enabled one cannot silently be skipped. Every loss reads a
`LossBatch`: predictions for an image x and its perspective-warped copy g(x), with targets.

Choices where the paper is silent:
- Supervised MSE is averaged over the supervised (sample, keypoint) heatmaps only; unlabeled
  keypoints and keypoints warped out of frame carry no supervision (mask 0). Both views of a
  labeled image are supervised, the warped one with targets re-encoded from warped keypoints.
- For labeled samples the ground truth replaces the prediction wherever a keypoint is
  supervised (§4.2), before z and the TE target are computed (see `with_ground_truth`).
- SC's gradient reaches the network through z (the paper) unless `LossConfig.sc_scope` is
  "classifier" (the CPU default): then the logits come from a detached z
  (`train.add_representations`), so SC trains the KCN alone.
- TE is a mean squared error over the pixels that g maps from inside the image (Eq. 2 with
  the out-of-image region masked); gradients flow through both f(g(x)) and g(f(x)).
- TI is by default the mean (not the paper's sum) of squared differences of the concatenated
  z (Eq. 4), on unit-length z_i: `LossConfig.ti_reduction="sum"` gives Eq. 4's sum (K·C times
  larger at the same λ4), `LossConfig.ti_normalize=False` the paper's raw z.

To add a loss: write a class with `__call__(self, batch: LossBatch) -> Tensor`, a switch and
weight in `LossConfig`, and an entry in `build_losses`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as nnf
from torch import Tensor

from worker.ml.config import LossConfig, Reduction
from worker.ml.transforms import warp


@dataclass
class LossBatch:
    heatmaps: Tensor  # f(x) (B, K, H, W)
    heatmaps_warped: Tensor  # f(g(x)) (B, K, H, W)
    targets: Tensor  # ground truth for x (B, K, H, W), zeros where unsupervised
    mask: Tensor  # (B, K) bool: keypoint supervised in x
    targets_warped: Tensor  # ground truth for g(x)
    mask_warped: Tensor  # (B, K) bool
    homography: Tensor  # g at heatmap scale (B, 3, 3)
    # Representations, computed only when SC or TI is enabled.
    logits: Tensor | None = None  # KCN logits for x (B, K, K)
    logits_warped: Tensor | None = None
    z: Tensor | None = None  # (B, K, C)
    z_warped: Tensor | None = None
    # A mean teacher's targets for g(x), computed only when the teacher is enabled.
    pseudo_targets_warped: Tensor | None = None  # (B, K, H, W)
    pseudo_mask_warped: Tensor | None = None  # (B, K) bool

    def representations(self) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(z, z_warped, logits, logits_warped); raises if the batch was built without them."""
        if self.z is None or self.z_warped is None or self.logits is None:
            raise ValueError("this loss needs z and KCN logits in the LossBatch")
        assert self.logits_warped is not None
        return self.z, self.z_warped, self.logits, self.logits_warped


class Loss(Protocol):
    def __call__(self, batch: LossBatch) -> Tensor: ...


def with_ground_truth(predicted: Tensor, targets: Tensor, mask: Tensor) -> Tensor:
    """Heatmaps where supervised keypoints use the ground truth (§4.2)."""
    return torch.where(mask[..., None, None], targets.to(predicted.dtype), predicted)


def masked_heatmap_mse(predicted: Tensor, targets: Tensor, mask: Tensor) -> Tensor:
    per_map = ((predicted.float() - targets.float()) ** 2).mean(dim=(-2, -1))  # (B, K)
    weight = mask.float()
    return (per_map * weight).sum() / weight.sum().clamp(min=1.0)


class SupervisedLoss:
    """MSE to Gaussian targets on both views, supervised keypoints only."""

    def __init__(self, warped_view: bool = True) -> None:
        self.warped_view = warped_view

    def __call__(self, batch: LossBatch) -> Tensor:
        if not self.warped_view:
            return masked_heatmap_mse(batch.heatmaps, batch.targets, batch.mask)
        predicted = torch.cat([batch.heatmaps, batch.heatmaps_warped])
        targets = torch.cat([batch.targets, batch.targets_warped])
        return masked_heatmap_mse(predicted, targets, torch.cat([batch.mask, batch.mask_warped]))


class SemanticConsistencyLoss:
    """Eq. 1: the KCN must recognise keypoint i from z_i, in both views."""

    def __call__(self, batch: LossBatch) -> Tensor:
        _, _, logits1, logits2 = batch.representations()
        logits = torch.cat([logits1, logits2]).float()  # (2B, K, K)
        labels = torch.arange(logits.shape[1], device=logits.device).expand(logits.shape[:2])
        return nnf.cross_entropy(logits.flatten(0, 1), labels.flatten())


class TransformationEquivarianceLoss:
    """Eq. 2: f(g(x)) = g(f(x)), compared where g(x) shows the image."""

    def __call__(self, batch: LossBatch) -> Tensor:
        size = batch.heatmaps.shape[-1]
        source = with_ground_truth(batch.heatmaps, batch.targets, batch.mask).float()
        expected = warp(source, batch.homography, size)
        inside = warp(torch.ones_like(source[:, :1]), batch.homography, size) > 0.999
        squared = (batch.heatmaps_warped.float() - expected) ** 2 * inside
        return squared.sum() / (inside.sum() * source.shape[1]).clamp(min=1)


class TransformationInvarianceLoss:
    """Eq. 4: the concatenated representations of x and g(x) should agree.

    With `normalize`, each z_i is scaled to unit length first. On raw z the cheapest way to
    satisfy λ4 = 1e2 is to shrink F towards zero, which also erases what SC needs: measured on
    the synthetic dots task, raw TI held SC at chance (ln K) for 100 steps while SC alone
    reached 0.03 in 60. Unit vectors cannot shrink, so TI only asks for the same direction.


    `reduction="sum"` is Eq. 4 as written (sum over the K·C entries of an image, averaged over
    the batch); "mean" also averages over K·C, i.e. it is "sum" / (K·C).
    """

    def __init__(self, normalize: bool = True, reduction: Reduction = "mean") -> None:
        self.normalize = normalize
        self.reduction = reduction

    def __call__(self, batch: LossBatch) -> Tensor:
        z, z_warped, _, _ = batch.representations()
        z, z_warped = z.float(), z_warped.float()
        if self.normalize:
            z, z_warped = nnf.normalize(z, dim=-1), nnf.normalize(z_warped, dim=-1)
        squared = (z - z_warped) ** 2
        if self.reduction == "sum":
            return squared.sum(dim=(1, 2)).mean()
        return squared.mean()


class PseudoLabelLoss:
    """The supervised MSE on g(x), against a mean teacher's confident peaks (`teacher.py`)."""

    def __call__(self, batch: LossBatch) -> Tensor:
        if batch.pseudo_targets_warped is None or batch.pseudo_mask_warped is None:
            raise ValueError("this loss needs the teacher's pseudo-labels in the LossBatch")
        return masked_heatmap_mse(
            batch.heatmaps_warped, batch.pseudo_targets_warped, batch.pseudo_mask_warped
        )


def build_losses(config: LossConfig) -> dict[str, tuple[Loss, float]]:
    sup, sc, te, ti = config.lambdas
    losses: dict[str, tuple[Loss, float]] = {
        "supervised": (SupervisedLoss(warped_view=config.supervise_warped_view), sup)
    }
    if config.use_sc:
        losses["sc"] = (SemanticConsistencyLoss(), sc)
    if config.use_te:
        losses["te"] = (TransformationEquivarianceLoss(), te)
    if config.use_ti:
        losses["ti"] = (TransformationInvarianceLoss(config.ti_normalize, config.ti_reduction), ti)
    if config.use_teacher:
        losses["teacher"] = (PseudoLabelLoss(), config.teacher_lambda)
    return losses
