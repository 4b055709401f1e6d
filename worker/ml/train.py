"""The training loop: semi-supervised (Eq. 5) or supervised-only, budgeted and resumable.

Each step draws `labeled_per_batch` labeled and the rest unlabeled images (§4.2: 50/50),
builds x and g(x) (`augment.make_views`), runs one forward over both views, substitutes
ground truth for labeled heatmaps before z and TE (§4.2) and sums the enabled losses, SC/TE/TI
(and a mean teacher's pseudo-labels, `teacher.py`, when enabled) scaled by the ramp-up
(`TrainConfig.unsupervised_weight`). Supervised-only runs spend the whole batch on labeled
images and forward x only, or x and g(x) both supervised when
`LossConfig.supervise_warped_view` (the augmentation-matched baseline).

Stops at `max_steps`, `max_minutes`, after `patience` evaluations without a better validation
PCK, or when `should_stop()` returns True (job cancellation: status "cancelled", last state
saved so `resume=True` continues). `best.pt` keeps the model of the best validation PCK, and
only what inference needs: it becomes a published model version, and the optimizer's moments
would triple its size. `last.pt` keeps the whole training state, written at every
`eval_interval` steps too, so a run whose process was killed resumes from there; both are
self-describing (`checkpoint.py`). When the keypoint classifier
is a readout (SC off, or on the classifier only), it is fit to the network's z at the labels
before the best and the final save (`classifier_fit.py`); it never feeds the network, so the
localization weights are those of the same run without the fit.

Measured (docs/MODEL.md): the learning rate decides short CPU runs. At the paper's 1e-4 no
backbone converged on the synthetic dots task in 80 steps; at 1e-3 pretrained Lite0 reached
PCK 0.88 in 20 steps and HRNet-W18-small from scratch 0.98 in 80. The default stays 1e-4
(paper, long GPU runs); pass `lr=1e-3` for minutes-long CPU budgets.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

from worker.ml.allocator import keep_freed_memory_in_heap
from worker.ml.augment import make_views
from worker.ml.checkpoint import load_checkpoint, save_checkpoint
from worker.ml.classifier_fit import fit_classifier
from worker.ml.config import TrainConfig
from worker.ml.data import (
    CyclingSampler,
    KeypointSchema,
    LabeledSample,
    PreparedLabeled,
    UnlabeledSample,
    prepare_labeled,
    prepare_unlabeled,
)
from worker.ml.losses import LossBatch, build_losses, with_ground_truth
from worker.ml.metrics import PckResult, pck
from worker.ml.model import KeypointModel
from worker.ml.predict import predict_input, to_image_space
from worker.ml.teacher import MeanTeacher
from worker.ml.transforms import flip_permutation

Status = Literal["completed", "early_stopped", "time_budget", "cancelled"]


@dataclass(frozen=True)
class Progress:
    step: int
    total: int
    losses: dict[str, float]  # unweighted value per loss, plus "total" (weighted sum)
    val_pck: float | None = None  # set on evaluation steps


@dataclass(frozen=True)
class TrainResult:
    status: Status
    step: int
    best_val_pck: float | None
    best_checkpoint: Path
    last_checkpoint: Path
    history: list[dict[str, Any]] = field(default_factory=list)


def evaluate(
    model: KeypointModel, data: PreparedLabeled, device: torch.device, alpha: float
) -> PckResult:
    xy_input, _, _ = predict_input(model, data.images, device)
    xy_image = to_image_space(xy_input, data.boxes)
    truth = np.stack([s.keypoints_xy for s in data.samples])
    labeled = np.stack([s.visibility > 0 for s in data.samples])
    norm = np.array([s.normalizer() for s in data.samples])
    return pck(xy_image, truth, labeled, norm, alpha)


def train(
    config: TrainConfig,
    schema: KeypointSchema,
    labeled: Sequence[LabeledSample],
    unlabeled: Sequence[UnlabeledSample],
    validation: Sequence[LabeledSample],
    *,
    checkpoint_dir: str | Path,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    resume: bool = False,
) -> TrainResult:
    started = time.monotonic()
    device = torch.device(config.device)
    amp = config.amp and device.type == "cuda"
    if device.type == "cpu":
        keep_freed_memory_in_heap()  # reuse activation memory between steps (allocator.py)
    semi = config.loss.semi_supervised
    if semi and not unlabeled:
        raise ValueError("semi-supervised training needs unlabeled images (or supervised_only)")
    _seed_everything(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    out_dir = Path(checkpoint_dir)
    best_path, last_path = out_dir / "best.pt", out_dir / "last.pt"

    size = config.model.input_size
    train_set = prepare_labeled(labeled, size, config.loss.occluded)
    pool = prepare_unlabeled(unlabeled, size) if semi else None
    val_set = prepare_labeled(validation, size, config.loss.occluded) if validation else None
    permutation = (
        flip_permutation(len(schema.names), schema.flip_pairs) if schema.flip_pairs else None
    )
    model = KeypointModel(config.model, len(schema.names)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    losses = build_losses(config.loss)
    teacher = MeanTeacher(model, config.loss.teacher_decay) if config.loss.use_teacher else None
    labeled_sampler = CyclingSampler(len(labeled), generator)
    pool_sampler = CyclingSampler(len(unlabeled), generator) if semi else None

    step, best_pck, stale, history = 0, -1.0, 0, list[dict[str, Any]]()
    if resume and last_path.exists():
        state = load_checkpoint(last_path, "cpu")  # RNG state must stay on the CPU
        _check_resumable(TrainConfig.from_dict(state["config"]), config)
        model.load_state_dict(state["model"])
        if teacher is not None:
            teacher.model.load_state_dict(state["teacher"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        generator.set_state(state["generator"])
        labeled_sampler.order = state["labeled_order"]
        if pool_sampler is not None:
            pool_sampler.order = state["pool_order"]
        step, best_pck, stale = state["step"], state["best_pck"], state["stale"]
        history = state["history"]

    def model_snapshot() -> dict[str, Any]:
        return {
            "config": config.to_dict(),
            "keypoint_names": schema.names,
            "flip_pairs": [list(p) for p in schema.flip_pairs],
            "model": model.state_dict(),
            "step": step,
            "best_pck": best_pck,
            "history": history,
            "metrics": history[-1] if history else {},
            "weights_source": model.weights_source,
        }

    def resume_snapshot() -> dict[str, Any]:
        return {
            **model_snapshot(),
            "optimizer": optimizer.state_dict(),
            "scaler": scaler.state_dict(),
            "generator": generator.get_state(),
            "labeled_order": labeled_sampler.order,
            "pool_order": pool_sampler.order if pool_sampler is not None else [],
            "stale": stale,
            **({"teacher": teacher.model.state_dict()} if teacher is not None else {}),
        }

    def fit_readout() -> None:
        # A readout KCN never feeds the network, so fitting it changes nothing else in the run.
        if config.loss.classifier_is_readout:
            fit_classifier(model, train_set, config.sigma, device)

    status: Status = "completed"
    n_labeled = config.labeled_per_batch if semi else config.batch_size
    needs_z = config.loss.use_sc or config.loss.use_ti  # the KCN only feeds these two losses
    two_views = config.loss.two_views
    while step < config.max_steps:
        if should_stop is not None and should_stop():
            status = "cancelled"
            break
        if config.max_minutes is not None and time.monotonic() - started > config.max_minutes * 60:
            status = "time_budget"
            break
        model.train()
        idx = labeled_sampler.take(n_labeled)
        images, xy, sup = train_set.images[idx], train_set.xy_input[idx], train_set.supervised[idx]
        if pool is not None and pool_sampler is not None:
            extra = pool_sampler.take(config.batch_size - n_labeled)
            images = torch.cat([images, pool[extra]])
            xy = torch.cat([xy, torch.zeros(len(extra), *xy.shape[1:])])
            sup = torch.cat([sup, torch.zeros(len(extra), sup.shape[1], dtype=torch.bool)])
        views = make_views(images, xy, sup, config, permutation, generator, device, two_views)
        with torch.autocast(device.type, enabled=amp):
            both = torch.cat([views.images, views.images_warped]) if two_views else views.images
            heat, feats = model.localize(both)
            batch = len(images)
            h1, h2 = (heat[:batch], heat[batch:]) if two_views else (heat, heat)
            f1, f2 = (feats[:batch], feats[batch:]) if two_views else (feats, feats)
            loss_batch = LossBatch(
                h1, h2, views.targets, views.mask, views.targets_warped, views.mask_warped,
                views.homography,
            )  # fmt: skip
            if needs_z:
                add_representations(
                    model, loss_batch, f1, f2, config.loss.gt_in_unsupervised,
                    classifier_only=config.loss.sc_scope == "classifier",
                )  # fmt: skip
            if teacher is not None:
                unlabeled_rows = torch.arange(batch, device=device) >= n_labeled
                loss_batch.pseudo_targets_warped, loss_batch.pseudo_mask_warped = (
                    teacher.pseudo_labels(
                        views.images, views.homography, unlabeled_rows, config.sigma,
                        config.loss.teacher_confidence,
                    )
                )  # fmt: skip
            values = {name: loss(loss_batch) for name, (loss, _) in losses.items()}
            ramp = config.unsupervised_weight(step)
            total = sum(
                (
                    w * (1.0 if n == "supervised" else ramp) * values[n]
                    for n, (_, w) in losses.items()
                ),
                torch.zeros((), device=device),
            )
        if not torch.isfinite(total):
            raise FloatingPointError(f"non-finite loss at step {step}: {values}")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(total).backward()  # type: ignore[no-untyped-call]
        scaler.step(optimizer)
        scaler.update()
        if teacher is not None:
            teacher.update(model, step)
        step += 1

        logged = {name: float(value.detach()) for name, value in values.items()}
        logged["total"] = float(total.detach())
        val_pck: float | None = None
        if val_set is not None and (step % config.eval_interval == 0 or step == config.max_steps):
            val_pck = evaluate(model, val_set, device, config.pck_alpha).pck
            history.append({"step": step, "val_pck": val_pck, **logged})
            if val_pck > best_pck:
                best_pck, stale = val_pck, 0
                fit_readout()
                save_checkpoint(best_path, model_snapshot())
            else:
                stale += 1
        if step % config.eval_interval == 0:  # a killed run resumes from here (`resume`)
            save_checkpoint(last_path, resume_snapshot())
        if on_progress is not None:
            on_progress(Progress(step, config.max_steps, logged, val_pck))
        if stale >= config.patience:
            status = "early_stopped"
            break

    if status != "cancelled":  # a cancelled run's state only waits for `resume`
        fit_readout()
    save_checkpoint(last_path, resume_snapshot())
    if val_set is None or not best_path.exists():
        save_checkpoint(best_path, model_snapshot())  # without validation, the last is the best
    return TrainResult(
        status=status,
        step=step,
        best_val_pck=best_pck if best_pck >= 0 else None,
        best_checkpoint=best_path,
        last_checkpoint=last_path,
        history=history,
    )


def add_representations(
    model: KeypointModel,
    batch: LossBatch,
    features: Tensor,
    features_warped: Tensor,
    gt: bool,
    classifier_only: bool = False,
) -> None:
    """z and KCN logits of both views; with `gt`, from ground-truth heatmaps where supervised
    (§4.2), else from the predicted heatmaps (the "no ground truth" ablation). With
    `classifier_only` the logits are computed from a detached z, so SC, the only loss that
    reads them, trains the KCN and not the network (`LossConfig.sc_scope`)."""
    h1, h2 = batch.heatmaps, batch.heatmaps_warped
    if gt:
        h1 = with_ground_truth(h1, batch.targets, batch.mask)
        h2 = with_ground_truth(h2, batch.targets_warped, batch.mask_warped)
    batch.z, batch.logits = model.represent(features, h1, detach_classifier=classifier_only)
    batch.z_warped, batch.logits_warped = model.represent(
        features_warped, h2, detach_classifier=classifier_only
    )


def _check_resumable(saved: TrainConfig, current: TrainConfig) -> None:
    """Budgets may change between runs; anything that changes the model or the data may not."""

    def core(config: TrainConfig) -> TrainConfig:
        return replace(config, max_steps=1, max_minutes=None, patience=1, device="cpu", amp=False)

    if core(saved) != core(current):
        raise ValueError("cannot resume: the checkpoint was trained with a different config")


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
