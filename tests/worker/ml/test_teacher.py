"""A mean teacher turns its confident peaks on unlabeled images into targets for g(x)."""

from pathlib import Path

import pytest
import torch

from worker.ml import heatmaps as hm
from worker.ml.checkpoint import load_checkpoint
from worker.ml.config import LossConfig, ModelConfig, TrainConfig
from worker.ml.data import KeypointSchema, LabeledSample, UnlabeledSample
from worker.ml.losses import LossBatch, build_losses
from worker.ml.model import KeypointModel
from worker.ml.teacher import MeanTeacher, pseudo_targets
from worker.ml.train import Progress, train

Dots = tuple[list[LabeledSample], list[UnlabeledSample], list[LabeledSample]]
SIZE, SIGMA = 16, 2.0


def shift(dx: float, dy: float) -> torch.Tensor:
    return torch.tensor([[[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]]])


def teacher_maps(points: list[tuple[float, float]], peaks: list[float]) -> torch.Tensor:
    xy = torch.tensor([points])
    maps, _ = hm.encode(xy, torch.ones(1, len(points)), (SIZE, SIZE), SIGMA)
    return maps * torch.tensor(peaks)[None, :, None, None]


def test_a_confident_peak_becomes_a_target_moved_by_g_and_an_unsure_one_does_not() -> None:
    maps = teacher_maps([(5.0, 6.0), (9.0, 9.0)], peaks=[0.9, 0.3])
    targets, mask = pseudo_targets(maps, shift(3.0, -2.0), SIGMA, confidence=0.5)
    expected, _ = hm.encode(torch.tensor([[[8.0, 4.0]]]), torch.ones(1, 1), (SIZE, SIZE), SIGMA)
    assert mask.tolist() == [[True, False]]
    torch.testing.assert_close(targets[0, 0], expected[0, 0], atol=1e-4, rtol=0)
    assert float(targets[0, 1].abs().max()) == 0


def test_a_peak_that_g_moves_off_the_map_is_not_a_target() -> None:
    maps = teacher_maps([(14.0, 8.0)], peaks=[1.0])
    _, mask = pseudo_targets(maps, shift(4.0, 0.0), SIGMA, confidence=0.5)
    assert mask.tolist() == [[False]]


def test_the_loss_fits_g_x_to_the_pseudo_labels_where_they_exist() -> None:
    targets = teacher_maps([(5.0, 6.0), (9.0, 9.0)], peaks=[1.0, 1.0])
    mask = torch.tensor([[True, False]])
    warped = targets.clone()
    warped[0, 1] = 0.5  # wrong only where there is no pseudo-label
    zeros, none = torch.zeros_like(targets), torch.zeros_like(mask)
    batch = LossBatch(
        heatmaps=zeros, heatmaps_warped=warped, targets=zeros, mask=none, targets_warped=zeros,
        mask_warped=none, homography=torch.eye(3)[None],
        pseudo_targets_warped=targets, pseudo_mask_warped=mask,
    )  # fmt: skip
    loss, weight = build_losses(LossConfig(use_teacher=True))["teacher"]
    assert float(loss(batch)) == 0 and weight == LossConfig().lambdas[0]
    batch.heatmaps_warped = torch.zeros_like(targets)
    assert float(loss(batch)) > 0
    assert "teacher" not in build_losses(LossConfig())


def test_the_teacher_moves_towards_the_student_by_one_minus_decay() -> None:
    student = KeypointModel(ModelConfig(input_size=64, pretrained="none"), 3)
    teacher = MeanTeacher(student, decay=0.9)
    before = teacher.model.kcn.weight.clone()
    with torch.no_grad():
        student.kcn.weight.add_(1.0)
        student.heatmap_head[1].running_mean.add_(5.0)  # type: ignore[operator]
    teacher.update(student, step=1000)  # past the early, smaller decay
    torch.testing.assert_close(teacher.model.kcn.weight, before + 0.1)
    torch.testing.assert_close(
        teacher.model.heatmap_head[1].running_mean, student.heatmap_head[1].running_mean
    )
    assert not any(p.requires_grad for p in teacher.model.parameters())


def test_the_teacher_labels_only_the_rows_it_is_asked_to() -> None:
    student = KeypointModel(ModelConfig(input_size=64, pretrained="none"), 3)
    final = student.heatmap_head[-1]
    assert isinstance(final, torch.nn.Conv2d) and final.bias is not None
    with torch.no_grad():
        final.bias.fill_(1.0)  # every peak about 1
    teacher = MeanTeacher(student, decay=0.99)
    images = torch.rand(4, 3, 64, 64)
    rows = torch.tensor([False, False, True, True])
    targets, mask = teacher.pseudo_labels(images, torch.eye(3).expand(4, 3, 3), rows, 2.0, 0.5)
    assert targets.shape == (4, 3, 16, 16)
    assert mask[:2].sum() == 0 and bool(mask[2:].all())


@pytest.mark.slow  # trains a step
def test_a_run_with_the_teacher_logs_its_loss_and_resumes_with_its_weights(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, _ = dots
    config = TrainConfig(
        model=ModelConfig(input_size=64, pretrained="none"), loss=LossConfig(use_teacher=True),
        batch_size=4, max_steps=1, lr=1e-2, eval_interval=10,
    )  # fmt: skip
    seen: list[Progress] = []
    train(config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path, on_progress=seen.append)
    assert set(seen[0].losses) == {"supervised", "sc", "te", "ti", "teacher", "total"}
    first = load_checkpoint(tmp_path / "last.pt")
    assert not torch.equal(first["teacher"]["kcn.weight"], first["model"]["kcn.weight"])
    train(config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path, resume=True)
    resumed = load_checkpoint(tmp_path / "last.pt")  # nothing left to train: saved as loaded
    assert torch.equal(resumed["teacher"]["kcn.weight"], first["teacher"]["kcn.weight"])
    assert TrainConfig.from_dict(resumed["config"]).loss.use_teacher
