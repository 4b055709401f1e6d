"""What an evaluation stores: JSON-safe metrics with each validation image's predicted and
true points, and the keypoint-embedding map (predictions stubbed: no network needed)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from backend.calibration import Calibration, calibrate
from worker.embedding import embed_keypoints
from worker.evaluating import evaluate_samples
from worker.ml.data import LabeledSample
from worker.ml.predict import Prediction


class StubPredictor:
    """Predicts fixed points and z, one image after another, like Predictor.predict."""

    def __init__(self, xy: list[np.ndarray], z: list[np.ndarray]) -> None:
        self.xy, self.z = xy, z
        self.return_z: bool | None = None

    def predict(
        self, images: Sequence[Any], rois: Sequence[Any], return_z: bool = False
    ) -> list[Prediction]:
        self.return_z = return_z
        return [
            Prediction(xy=self.xy[i], confidence=np.ones(len(self.xy[i])), z=self.z[i])
            for i in range(len(images))
        ]


def _sample(xy: list[tuple[float, float]], visibility: list[int]) -> LabeledSample:
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    box = (0.0, 0.0, 100.0, 100.0)
    return LabeledSample(image, np.array(xy, dtype=np.float64), np.array(visibility), bbox=box)


def _evaluate(**kwargs: bool) -> tuple[dict[str, Any], StubPredictor]:
    samples = [
        _sample([(10, 10), (50, 50), (0, 0)], [2, 1, 0]),  # third keypoint unlabeled
        _sample([(20, 20), (60, 60), (80, 80)], [2, 2, 2]),
    ]
    predicted = [
        np.array([[12.0, 10.0], [50.0, 80.0], [float("nan"), 5.0]]),
        np.array([[20.0, 20.0], [60.0, 60.0], [80.0, 80.0]]),
    ]
    rng = np.random.default_rng(0)
    stub = StubPredictor(predicted, [rng.normal(size=(3, 8)).astype(np.float32) for _ in range(2)])
    metrics = evaluate_samples(stub, samples, ["a", "b", "c"], 0.1, **kwargs)  # type: ignore[arg-type]
    return metrics, stub


def test_aggregates_only_by_default() -> None:
    metrics, stub = _evaluate()
    assert stub.return_z is False
    assert "predicted_xy" not in metrics and "embedding" not in metrics
    assert metrics["per_keypoint"] == {"a": 1.0, "b": 0.5, "c": 1.0}
    assert metrics["per_image_normalized_error"] == pytest.approx([(0.02 + 0.3) / 2, 0.0])


def test_per_image_points_are_json_safe_and_drop_unlabeled_truth() -> None:
    metrics, _ = _evaluate(per_image_points=True)
    assert metrics["predicted_xy"][0] == [[12.0, 10.0], [50.0, 80.0], None]  # NaN -> null
    assert metrics["true_xy"][0] == [[10.0, 10.0], [50.0, 50.0], None]  # unlabeled -> null
    assert metrics["true_xy"][1] == [[20.0, 20.0], [60.0, 60.0], [80.0, 80.0]]
    json.dumps(metrics, allow_nan=False)


@pytest.mark.slow
def test_embedding_maps_every_keypoint_of_every_image() -> None:
    metrics, stub = _evaluate(with_embedding=True)
    assert stub.return_z is True
    points = metrics["embedding"]["points"]
    assert len(points) == 6
    assert [(p[2], p[3], p[4]) for p in points] == [
        (0, 0, True),
        (1, 0, True),
        (2, 0, False),
        (0, 1, True),
        (1, 1, True),
        (2, 1, True),
    ]
    json.dumps(metrics, allow_nan=False)


def test_tsne_separates_well_separated_keypoints() -> None:
    rng = np.random.default_rng(1)
    centers = rng.normal(scale=10, size=(3, 16))
    z = (centers[None] + rng.normal(size=(20, 3, 16))).astype(np.float32)  # (N, K, C)
    result = embed_keypoints(z, np.ones((20, 3), dtype=bool))
    assert result["method"] == "tsne"
    xy = np.array([p[:2] for p in result["points"]])
    keypoint = np.array([p[2] for p in result["points"]])
    assert np.abs(xy).max() == pytest.approx(1.0)
    means = np.stack([xy[keypoint == k].mean(axis=0) for k in range(3)])
    spread = max(np.linalg.norm(xy[keypoint == k] - means[k], axis=1).mean() for k in range(3))
    gaps = [np.linalg.norm(means[a] - means[b]) for a, b in ((0, 1), (0, 2), (1, 2))]
    assert min(gaps) > 2 * spread, "each keypoint forms its own cluster"


@pytest.mark.slow
def test_embedding_of_tiny_or_huge_sets() -> None:
    one = embed_keypoints(np.ones((1, 1, 4), dtype=np.float32), np.ones((1, 1), dtype=bool))
    assert one == {"method": "none", "points": [[0.0, 0.0, 0, 0, True]]}
    few = embed_keypoints(np.random.rand(2, 2, 4).astype(np.float32), np.ones((2, 2), bool))
    assert few["method"] == "pca" and len(few["points"]) == 4
    nan = np.full((1, 2, 4), np.nan, dtype=np.float32)
    assert embed_keypoints(nan, np.ones((1, 2), bool)) == {"method": "none", "points": []}
    many = np.random.default_rng(0).normal(size=(60, 2, 4)).astype(np.float32)
    big = embed_keypoints(many, np.ones(many.shape[:2], bool), max_points=50)
    assert len(big["points"]) == 50, "a subsample of at most max_points"
    assert len({(p[2], p[3]) for p in big["points"]}) == 50


class PeakStub:
    """Predicts each keypoint right (peak 0.9) or 30 px off (peak 0.3), alternately."""

    def predict(
        self, images: Sequence[Any], rois: Sequence[Any], return_z: bool = False
    ) -> list[Prediction]:
        out = []
        for i in range(len(images)):
            right = i % 2 == 0
            xy = np.array([[50.0, 50.0] if right else [80.0, 50.0]] * 2)
            out.append(Prediction(xy=xy, confidence=np.full(2, 0.9 if right else 0.3)))
        return out


def test_the_version_keeps_a_confidence_calibrated_on_its_validation_images() -> None:
    samples = [_sample([(50, 50), (50, 50)], [2, 2]) for _ in range(10)]
    metrics = evaluate_samples(PeakStub(), samples, ["a", "b"], 0.1)  # type: ignore[arg-type]
    curve = Calibration.from_dict(metrics["calibration"])
    assert curve is not None and curve.samples == 20 and curve.alpha == 0.1
    assert calibrate(curve, 0.9) == pytest.approx(11 / 12, abs=1e-5)  # 10 of 10 right, shrunk
    assert calibrate(curve, 0.3) == pytest.approx(1 / 12, abs=1e-5)  # 0 of 10 right
    json.dumps(metrics, allow_nan=False)
    few = evaluate_samples(PeakStub(), samples[:2], ["a", "b"], 0.1)  # type: ignore[arg-type]
    assert few["calibration"] is None  # 4 keypoints: too few to say what a peak means


def test_stored_metrics_name_the_bbox_normaliser_when_annotations_have_one() -> None:
    metrics, _ = _evaluate()
    assert metrics["normalizer"] == "bbox"


def test_normaliser_is_the_roi_without_a_bbox_and_the_extent_without_either() -> None:
    xy = np.array([[10.0, 10.0], [30.0, 50.0]])
    visible = np.array([2, 2])
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    with_bbox = LabeledSample(image, xy, visible, bbox=(0, 0, 80, 60), roi=(0, 0, 90, 90))
    with_roi = LabeledSample(image, xy, visible, roi=(5.0, 5.0, 70.0, 90.0))
    bare = LabeledSample(image, xy, visible)
    assert (with_bbox.normalizer_kind(), with_bbox.normalizer()) == ("bbox", 80.0)
    assert (with_roi.normalizer_kind(), with_roi.normalizer()) == ("roi", 90.0)
    assert (bare.normalizer_kind(), bare.normalizer()) == ("extent", 40.0)
    stub = StubPredictor([xy + np.array([0.0, 3.5])] * 2, [np.zeros((2, 4), dtype=np.float32)] * 2)
    # An error of 3.5 px is within 0.1 of the extent (4 px) but shown per kind in the metrics.
    extent = evaluate_samples(stub, [bare, bare], ["a", "b"], 0.1)  # type: ignore[arg-type]
    assert extent["normalizer"] == "extent" and extent["pck"] == 1.0
    mixed = evaluate_samples(stub, [bare, with_roi], ["a", "b"], 0.1)  # type: ignore[arg-type]
    assert mixed["normalizer"] == "mixed"


def test_pckh_is_stored_when_the_schema_names_head_keypoints() -> None:
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    names = ["nose", "head_top", "tail_base"]
    xy = np.array([[10.0, 10.0], [10.0, 30.0], [90.0, 90.0]])  # head box diagonal 20 -> l = 12
    sample = LabeledSample(image, xy, np.array([2, 2, 2]), bbox=(0, 0, 100, 100))
    off = xy + np.array([[0.0, 5.0], [0.0, 7.0], [0.0, 5.0]])  # 5 px <= 0.5 * 12 < 7 px
    stub = StubPredictor([off], [np.zeros((3, 4), dtype=np.float32)])
    metrics = evaluate_samples(stub, [sample], names, 0.1)  # type: ignore[arg-type]
    assert metrics["pckh_keypoints"] == ["nose", "head_top"] and metrics["pckh_alpha"] == 0.5
    assert metrics["pckh"] == pytest.approx(2 / 3)
    headless, _ = _evaluate()  # keypoints "a", "b", "c"
    assert "pckh" not in headless
