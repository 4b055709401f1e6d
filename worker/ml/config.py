"""Typed training configuration, validated at construction so a mis-wired run fails loudly.

To add an option: add a typed field with a default, check it in `__post_init__`, and read it
where it is used. `to_dict`/`from_dict` keep checkpoints self-describing.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

Backbone = Literal["hrnet_w32", "hrnet_w18_small", "efficientnet_lite0"]
BACKBONES: tuple[Backbone, ...] = ("hrnet_w32", "hrnet_w18_small", "efficientnet_lite0")
OccludedPolicy = Literal["supervise", "ignore"]
Reduction = Literal["mean", "sum"]
SCScope = Literal["network", "classifier"]
Pretrained = Literal["auto", "none"] | str  # "auto": best available offline source; else a path


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class ModelConfig:
    backbone: Backbone = "efficientnet_lite0"
    input_size: int = 192
    heatmap_stride: int = 4
    kcn_channels: int = 64  # C in the paper (§4.2)
    pretrained: Pretrained = "auto"

    def __post_init__(self) -> None:
        _require(self.backbone in BACKBONES, f"unknown backbone {self.backbone!r}; use {BACKBONES}")
        _require(self.heatmap_stride == 4, "heatmaps are predicted at 1/4 input resolution")
        _require(
            self.input_size >= 32 and self.input_size % 32 == 0,
            f"input_size must be a multiple of 32 and >= 32, got {self.input_size}",
        )
        _require(self.kcn_channels > 0, "kcn_channels must be positive")

    @property
    def heatmap_size(self) -> int:
        return self.input_size // self.heatmap_stride


@dataclass(frozen=True)
class LossConfig:
    use_supervised: bool = True
    use_sc: bool = True
    use_te: bool = True
    use_ti: bool = True
    # What SC's gradient trains. "network" (the paper): the KCN and, through z, the localization
    # network. "classifier": z is detached before the KCN in SC, so SC trains the KCN alone (the
    # label-suspect and active-learning signals read it) and the localization network learns
    # from the supervised loss, TE and TI only, exactly as with SC off. The CPU default since
    # stop 30: in the 300-step budget SC's pull on the network cost accuracy (docs/MODEL.md).
    sc_scope: SCScope = "network"
    # (λ1, λ2, λ3, λ4) of Eq. 5, the paper's values.
    lambdas: tuple[float, float, float, float] = (1e3, 0.5, 1e2, 1e2)
    # Occluded points were placed by an annotator, so by default they are supervised like visible
    # ones; "ignore" treats them as unlabeled.
    occluded: OccludedPolicy = "supervise"
    # §4.2: ground-truth heatmaps replace predictions in the unsupervised losses of labeled samples.
    gt_in_unsupervised: bool = True
    # TI on unit-length z_i: raw z lets TI collapse F and silence SC (see losses.py).
    ti_normalize: bool = True
    # Eq. 4 sums over the K·C entries of an image's z (then we average over the batch); "mean"
    # also divides by K·C, so the same λ4 weighs TI K·C times less (768x for K=12, C=64):
    # "mean" with λ4 equals the paper's "sum" with λ4 / (K·C).
    ti_reduction: Reduction = "mean"
    # Supervise the perspective-warped view g(x) of labeled images too. Semi-supervised runs
    # always build g(x); a supervised run with this on forwards both views with the same warps
    # (the augmentation-matched baseline), with it off forwards x only (the plain baseline).
    supervise_warped_view: bool = True
    # A mean teacher's pseudo-labels on the unlabeled images' warped view (`teacher.py`; not in
    # the paper): off: on tiger_pose it taught the student to put both legs' keypoints on one
    # leg, and a stricter confidence gate made that worse (MODEL.md). The
    # weight is the supervised λ1, since a confident pseudo-label is fit exactly like a label.
    use_teacher: bool = False
    teacher_lambda: float = 1e3
    teacher_decay: float = 0.99  # of the weights' moving average
    teacher_confidence: float = 0.5  # a heatmap peak at least this high becomes a pseudo-label

    def __post_init__(self) -> None:
        _require(len(self.lambdas) == 4, "lambdas holds (λ_sup, λ_sc, λ_te, λ_ti)")
        _require(all(w >= 0 for w in self.lambdas), "loss weights must be >= 0")
        _require(self.occluded in ("supervise", "ignore"), f"bad occluded policy {self.occluded!r}")
        _require(self.use_supervised, "the supervised loss is what anchors keypoint identity")
        _require(self.ti_reduction in ("mean", "sum"), f"bad TI reduction {self.ti_reduction!r}")
        _require(self.sc_scope in ("network", "classifier"), f"bad SC scope {self.sc_scope!r}")
        for on, weight, name in zip(
            (self.use_sc, self.use_te, self.use_ti),
            self.lambdas[1:],
            ("sc", "te", "ti"),
            strict=True,
        ):
            _require(not on or weight > 0, f"loss {name} is enabled with weight 0")
        _require(not self.use_teacher or self.teacher_lambda > 0, "teacher enabled with weight 0")
        _require(0 <= self.teacher_decay < 1, "teacher_decay must be in [0, 1)")
        _require(0 < self.teacher_confidence <= 1, "teacher_confidence must be in (0, 1]")

    @property
    def semi_supervised(self) -> bool:
        return self.use_sc or self.use_te or self.use_ti or self.use_teacher

    @property
    def classifier_is_readout(self) -> bool:
        """Whether the KCN has no say in the network (SC off, or on the classifier only): then
        training fits it to the network's z at every save (`classifier_fit.py`)."""
        return not (self.use_sc and self.sc_scope == "network")

    @property
    def two_views(self) -> bool:
        """Whether a step forwards x and g(x)."""
        return self.semi_supervised or self.supervise_warped_view

    @staticmethod
    def supervised_only(matched: bool = False) -> LossConfig:
        """No SC/TE/TI. `matched`: also supervise g(x), the augmentation a semi run sees."""
        return LossConfig(use_sc=False, use_te=False, use_ti=False, supervise_warped_view=matched)


@dataclass(frozen=True)
class AugmentConfig:
    scale: tuple[float, float] = (0.75, 1.25)
    rotation_deg: float = 30.0
    flip_prob: float = 0.5  # only applied when the keypoint schema declares flip pairs
    color_jitter: float = 0.2
    # Perspective g of TE/TI: each corner moves by at most this fraction of the side (§4.2).
    perspective_jitter: float = 0.15

    def __post_init__(self) -> None:
        _require(0 < self.scale[0] <= self.scale[1], "scale range must be positive, low <= high")
        _require(0 <= self.rotation_deg <= 180, "rotation_deg must be in [0, 180]")
        _require(0 <= self.flip_prob <= 1, "flip_prob must be in [0, 1]")
        _require(0 <= self.perspective_jitter < 0.5, "perspective_jitter must be in [0, 0.5)")
        _require(0 <= self.color_jitter < 1, "color_jitter must be in [0, 1)")


@dataclass(frozen=True)
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    max_steps: int = 2000
    max_minutes: float | None = None
    batch_size: int = 16
    labeled_fraction_in_batch: float = 0.5  # §4.2: half labeled, half unlabeled
    lr: float = 1e-4
    sigma: float = 2.0  # Gaussian sigma in heatmap pixels
    seed: int = 0
    eval_interval: int = 100
    patience: int = 10  # evaluations without val PCK improvement before stopping
    # SC/TE/TI weights rise from 0 to their λ over these steps (exp(-5(1-t)^2), Laine & Aila
    # 2017), so the unsupervised losses act on heatmaps that already localize; 0 = off (paper).
    rampup_steps: int = 0
    pck_alpha: float = 0.1
    device: str = "cpu"
    amp: bool = True  # only takes effect on CUDA

    def __post_init__(self) -> None:
        _require(self.max_steps > 0, "max_steps must be positive")
        _require(self.max_minutes is None or self.max_minutes > 0, "max_minutes must be > 0")
        _require(self.batch_size >= 2, "batch_size must be >= 2")
        _require(0 < self.labeled_fraction_in_batch <= 1, "labeled fraction must be in (0, 1]")
        _require(self.lr > 0, "lr must be positive")
        _require(self.sigma > 0, "sigma must be positive")
        _require(self.eval_interval > 0 and self.patience > 0, "eval_interval, patience > 0")
        _require(0 < self.pck_alpha <= 1, "pck_alpha must be in (0, 1]")
        _require(self.rampup_steps >= 0, "rampup_steps must be >= 0")

    def unsupervised_weight(self, step: int) -> float:
        """Multiplier of λ2..λ4 at `step` (0-based): 1 without ramp-up."""
        if self.rampup_steps == 0 or step >= self.rampup_steps:
            return 1.0
        t = step / self.rampup_steps
        return math.exp(-5.0 * (1.0 - t) ** 2)

    @property
    def labeled_per_batch(self) -> int:
        if not self.loss.semi_supervised:
            return self.batch_size
        return max(
            1, min(self.batch_size - 1, round(self.batch_size * self.labeled_fraction_in_batch))
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TrainConfig:
        loss = dict(data["loss"])
        loss["lambdas"] = tuple(loss["lambdas"])
        aug: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data["augment"].items()
        }
        rest = {k: v for k, v in data.items() if k not in ("model", "loss", "augment")}
        return TrainConfig(
            model=ModelConfig(**data["model"]),
            loss=LossConfig(**loss),
            augment=AugmentConfig(**aug),
            **rest,
        )


def device_defaults(
    device: str, hrnet_weights: str | None = None, hrnet_online: bool = False
) -> ModelConfig:
    """The backbone that trains well in reasonable time on `device`.

    CPU (2 cores): ImageNet-pretrained EfficientNet-Lite0 at 192 px trains in minutes (the only
    backbone with offline weights). GPU: the paper's HRNet-W32 at 256 px when its ImageNet
    weights are at hand, as a file (`hrnet_weights`) or from timm's hub (`hrnet_online`);
    otherwise EfficientNet-Lite0 at 256 px, because from random init HRNet needs far more
    labels than a new project has (docs/MODEL.md).
    """
    if not device.startswith("cuda"):
        return ModelConfig(backbone="efficientnet_lite0", input_size=192)
    if hrnet_weights:
        return ModelConfig(backbone="hrnet_w32", input_size=256, pretrained=hrnet_weights)
    if hrnet_online:
        return ModelConfig(backbone="hrnet_w32", input_size=256)
    return ModelConfig(backbone="efficientnet_lite0", input_size=256)
