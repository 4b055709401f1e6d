"""A mean teacher's pseudo-labels for the unlabeled images (issue 20's lever; not in the paper).

The paper's SC/TE/TI ask where a keypoint is and what its representation means, but nothing on
an unlabeled image asks for a *sharp* peak at the right spot: TE compares the student's own
blurry maps of two views. Measured at the shipped CPU budget, that left semi level with the
augmentation-matched baseline at PCK@0.05 (docs/MODEL.md). This is the standard remedy of
semi-supervised classification and pose (mean teacher, Tarvainen & Valpola 2017; weak-to-strong
pseudo-labels as in FixMatch):

- the teacher is an exponential moving average of the student's weights, which predicts more
  steadily than the student of any one step;
- per step it predicts view x of the unlabeled rows (eval mode, no gradient), and each keypoint
  whose peak reaches `confidence` becomes a pseudo-label;
- the pseudo-label is moved by g to view g(x) and encoded like a supervised target, and the
  student's f(g(x)) is fit to it with the supervised loss (`losses.PseudoLabelLoss`).

A low peak (an unsure, occluded or absent keypoint) gives no target, so an early teacher that
localizes nothing supervises nothing: the confidence gate is also the ramp-up.

Measured (docs/MODEL.md, "The mean-teacher lever"): ahead of the matched baseline on
reaching_mouse (PCK@0.05 +0.048, mean error 22 px lower), clearly behind on tiger_pose, where the
pseudo-labels put a b-side leg keypoint on its a-side partner and the student learns to do the
same. A stricter gate makes that worse, not better: the collapsed peaks are confident ones
("teacher_gate_0_8"). Hence off by default.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor

from worker.ml import heatmaps as hm
from worker.ml.model import KeypointModel
from worker.ml.transforms import warp_points


class MeanTeacher:
    def __init__(self, student: KeypointModel, decay: float) -> None:
        self.model = copy.deepcopy(student).eval()
        self.model.requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, student: KeypointModel, step: int) -> None:
        """Move towards the student after optimizer step `step` (0-based). Early steps use a
        smaller decay, (1 + step) / (10 + step), so the teacher is not anchored to the
        pretrained start for the first hundred steps of a 300-step run."""
        decay = min(self.decay, (1 + step) / (10 + step))
        for mine, theirs in zip(self.model.parameters(), student.parameters(), strict=True):
            mine.lerp_(theirs, 1.0 - decay)
        # Batch-norm statistics are running averages already; the student's are the newest.
        for buffer, source in zip(self.model.buffers(), student.buffers(), strict=True):
            buffer.copy_(source)

    @torch.no_grad()
    def pseudo_labels(
        self, images: Tensor, homography: Tensor, rows: Tensor, sigma: float, confidence: float
    ) -> tuple[Tensor, Tensor]:
        """Targets (B, K, H, W) and mask (B, K) for view g(x) of `images` (view x, B rows);
        only `rows` (B,) bool get pseudo-labels, the others all-zero maps with mask False."""
        heatmaps, _ = self.model.localize(images[rows])
        targets, mask = pseudo_targets(heatmaps, homography[rows], sigma, confidence)
        batch, (keypoints, height, width) = len(images), heatmaps.shape[1:]
        full = torch.zeros(batch, keypoints, height, width, device=images.device)
        full_mask = torch.zeros(batch, keypoints, dtype=torch.bool, device=images.device)
        full[rows], full_mask[rows] = targets, mask
        return full, full_mask


def pseudo_targets(
    heatmaps: Tensor, homography: Tensor, sigma: float, confidence: float
) -> tuple[Tensor, Tensor]:
    """Gaussian targets at the confident peaks of `heatmaps` (B, K, H, W), moved by the
    heatmap-scale `homography` (B, 3, 3); a peak moved off the map is not a target."""
    xy, peak = hm.decode(heatmaps)
    moved = warp_points(xy, homography.to(xy.dtype))
    size = (heatmaps.shape[-2], heatmaps.shape[-1])
    return hm.encode(moved, peak >= confidence, size, sigma)
