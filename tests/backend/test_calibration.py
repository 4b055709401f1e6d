"""Calibrated keypoint confidence (backend/calibration.py): a raw heatmap peak becomes the rate
at which such predictions were right on validation images, always in [0, 1]."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from backend.calibration import (
    MIN_SAMPLES,
    PEAK_FLOOR,
    Calibration,
    calibrate,
    doubt,
    fit,
    predicted_point,
)


def test_fitted_confidence_matches_the_observed_rate_of_correct_points() -> None:
    # Peaks in [0, 1.3]; a point is right with probability min(1, peak) * 0.9.
    rng = random.Random(0)
    peaks = [rng.uniform(0.0, 1.3) for _ in range(4000)]
    correct = [rng.random() < min(1.0, p) * 0.9 for p in peaks]
    curve = fit(peaks, correct, alpha=0.1)
    assert curve is not None
    for peak in (0.2, 0.5, 0.8):
        assert calibrate(curve, peak) == pytest.approx(peak * 0.9, abs=0.06)
    # An overshooting peak is not "112 %": it is how often such points were right.
    assert calibrate(curve, 1.29) == pytest.approx(0.9, abs=0.05)


def test_confidence_never_decreases_with_the_peak_and_stays_in_0_1() -> None:
    rng = random.Random(1)
    peaks = [rng.uniform(0, 1.5) for _ in range(300)]
    correct = [rng.random() < 0.5 for _ in peaks]  # noise: the curve must still be monotone
    curve = fit(peaks, correct, alpha=0.1)
    assert curve is not None and len(curve.peaks) <= 24
    values = [calibrate(curve, p / 100) for p in range(-50, 200)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(b >= a for a, b in itertools.pairwise(values))


def test_a_few_right_answers_do_not_read_as_certainty() -> None:
    curve = fit([0.9] * MIN_SAMPLES, [True] * MIN_SAMPLES, alpha=0.1)
    assert curve is not None
    assert calibrate(curve, 0.9) == pytest.approx((MIN_SAMPLES + 1) / (MIN_SAMPLES + 2))
    assert calibrate(curve, 0.9) < 1.0


def test_without_enough_validation_points_the_peak_is_clipped() -> None:
    assert fit([0.5] * (MIN_SAMPLES - 1), [True] * (MIN_SAMPLES - 1), alpha=0.1) is None
    assert fit([math.nan] * 20, [True] * 20, alpha=0.1) is None
    assert calibrate(None, 1.29) == 1.0
    assert calibrate(None, -0.1) == 0.0
    assert calibrate(None, 0.42) == 0.42
    assert calibrate(None, math.nan) == 0.0


def test_the_curve_round_trips_through_its_stored_form() -> None:
    curve = fit([i / 10 for i in range(20)], [i >= 10 for i in range(20)], alpha=0.05)
    assert curve is not None
    stored = Calibration.from_dict(curve.to_dict())
    assert stored is not None and stored.alpha == 0.05
    assert calibrate(stored, 1.5) == pytest.approx(calibrate(curve, 1.5), abs=1e-6)
    assert Calibration.from_dict(None) is None
    assert Calibration.from_dict({"peaks": [], "probabilities": []}) is None
    assert Calibration.from_dict({"peaks": [1.0], "probabilities": "x"}) is None


def test_points_on_the_border_or_with_a_weak_peak_are_not_offered() -> None:
    assert doubt(0.9, 200, 150, 400, 300) is None
    assert doubt(0.9, 0.0, 150, 400, 300) == "border"
    assert doubt(0.9, 200, 299.5, 400, 300) == "border"
    assert doubt(0.9, 397, 150, 400, 300) == "border"  # within 1 % of 400 px
    assert doubt(PEAK_FLOOR / 2, 200, 150, 400, 300) == "weak_peak"
    assert doubt(math.nan, 200, 150, 400, 300) == "weak_peak"
    point = predicted_point(None, 1.29, 0.0, 10.0, 400, 300)
    assert point == {"x": 0.0, "y": 10.0, "confidence": 1.0, "peak": 1.29, "doubt": "border"}
