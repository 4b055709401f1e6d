"""Each active-learning signal on constructed networks whose right answer is known."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as nnf
from torch import Tensor

from worker.ml.model import KeypointOutput
from worker.ml.uncertainty import (
    UncertaintyConfig,
    combine,
    diverse_order,
    embedding,
    measure,
    rank_normalize,
)

SIZE, STRIDE, K, C = 64, 4, 2, 8
CPU = torch.device("cpu")


def blob_images(n: int, seed: int = 0) -> Tensor:
    """(n, 3, S, S) uint8: channel k holds one Gaussian blob, keypoint k, away from the edge."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    images = np.zeros((n, 3, SIZE, SIZE), np.uint8)
    for i in range(n):
        for k in range(K):
            x, y = rng.uniform(20, SIZE - 20, 2)
            images[i, k] = 255 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 4.0**2))
    return torch.from_numpy(images)


class FakeNet:
    """Heatmap k = channel k average-pooled to 1/4: it moves exactly with the image, so the
    network is equivariant up to interpolation. The other outputs are chosen per test."""

    def __init__(
        self,
        *,
        ignore_image: bool = False,
        z: Callable[[int], Tensor] = lambda b: torch.ones(b, K, C),
        logits: Callable[[int], Tensor] = lambda b: 20 * torch.eye(K).expand(b, K, K),
        peak: float | None = None,
    ) -> None:
        self.ignore_image, self.z, self.logits, self.peak = ignore_image, z, logits, peak

    def __call__(self, images: Tensor) -> KeypointOutput:
        b = images.shape[0]
        heat = nnf.avg_pool2d(images[:, :K], STRIDE)
        if self.ignore_image:  # the same peak wherever the animal is
            heat = torch.zeros_like(heat)
            heat[:, :, 5, 5], heat[:, :, 5, 4], heat[:, :, 4, 5] = 1.0, 0.5, 0.5
        if self.peak is not None:
            heat = heat / heat.flatten(2).amax(-1)[..., None, None] * self.peak
        return KeypointOutput(heat, torch.zeros(b, C, 16, 16), self.z(b), self.logits(b))


def run(net: FakeNet, n: int = 4) -> dict[str, np.ndarray]:
    signals = measure(net, blob_images(n), STRIDE, UncertaintyConfig(num_warps=3), CPU)
    return {
        "equivariance": signals.equivariance,
        "invariance": signals.invariance,
        "semantic": signals.semantic,
        "low_confidence": signals.low_confidence,
    }


def test_an_equivariant_network_scores_no_disagreement_under_warps() -> None:
    disagreement = run(FakeNet())["equivariance"]
    # Zero up to resampling error (bilinear warp, 4x pooling): under a quarter of an input pixel.
    assert disagreement.max() * SIZE < 0.25


def test_a_network_that_ignores_the_image_disagrees_with_its_warps() -> None:
    disagreement = run(FakeNet(ignore_image=True))["equivariance"]
    assert disagreement.min() * SIZE > 0.5
    assert disagreement.mean() > 20 * run(FakeNet())["equivariance"].mean()


def test_identical_representations_across_warps_have_zero_spread() -> None:
    assert np.allclose(run(FakeNet())["invariance"], 0.0, atol=1e-9)


def test_representations_that_change_with_each_warp_have_positive_spread() -> None:
    gen = torch.Generator().manual_seed(0)
    spread = run(FakeNet(z=lambda b: torch.randn(b, K, C, generator=gen)))["invariance"]
    assert (spread > 0.3).all()


def test_a_confident_correct_classifier_scores_zero_and_a_misclassification_near_one() -> None:
    assert run(FakeNet())["semantic"].max() < 1e-6
    swapped = 20 * torch.tensor([[0.0, 1.0], [1.0, 0.0]])  # keypoint 0 looks like 1 and back
    assert run(FakeNet(logits=lambda b: swapped.expand(b, K, K)))["semantic"].min() > 0.99
    unsure = torch.zeros(K, K)  # uniform: maximum entropy
    assert np.allclose(run(FakeNet(logits=lambda b: unsure.expand(b, K, K)))["semantic"], 0.5)


def test_low_confidence_is_one_minus_the_heatmap_peak() -> None:
    assert np.allclose(run(FakeNet(peak=0.25))["low_confidence"], 0.75, atol=1e-6)
    assert np.allclose(run(FakeNet(peak=1.0))["low_confidence"], 0.0, atol=1e-6)


def test_rank_normalize_keeps_order_shares_ties_and_flattens_a_constant() -> None:
    assert rank_normalize(np.array([10.0, 0.1, 3.0])).tolist() == [1.0, 0.0, 0.5]
    assert rank_normalize(np.array([1.0, 1.0, 2.0])).tolist() == [0.25, 0.25, 1.0]
    assert np.allclose(rank_normalize(np.full((2, 3), 7.0)), 0.5)


def test_image_score_averages_only_the_keypoints_still_to_label() -> None:
    signals = measure(FakeNet(), blob_images(3), STRIDE, UncertaintyConfig(num_warps=1), CPU)
    per_keypoint, score = combine(signals, np.array([[True, True], [True, False], [False, False]]))
    assert per_keypoint.shape == (3, K)
    assert score[0] == pytest.approx(per_keypoint[0].mean())
    assert score[1] == pytest.approx(per_keypoint[1, 0])
    assert score[2] == 0.0


def test_diverse_order_does_not_pick_a_near_duplicate_next() -> None:
    frame = np.array([1.0, 0.0, 0.0])
    features = np.stack([frame, frame + 1e-3, np.array([0.0, 1.0, 0.0])])
    order = diverse_order(features, np.array([1.0, 0.99, 0.5]))
    assert order[:2] == [0, 2]


def test_diverse_order_puts_images_like_labeled_ones_last() -> None:
    labeled = np.array([[1.0, 0.0]])
    features = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    order = diverse_order(features, np.array([0.9, 0.5, 0.5]), reference=labeled)
    assert order[-1] == 0 and sorted(order) == [0, 1, 2]


def test_embedding_is_unit_length_per_image() -> None:
    z = np.random.default_rng(0).normal(size=(5, K, C)).astype(np.float32)
    assert np.allclose(np.linalg.norm(embedding(z), axis=1), 1.0)


def test_diverse_order_spreads_the_top_candidates_and_appends_the_rest_by_score() -> None:
    features = np.eye(4)
    order = diverse_order(features, np.array([0.1, 0.9, 0.5, 0.7]), max_diverse=2)
    assert order == [1, 3, 2, 0]
