"""The error-anatomy bench names a keypoint "put on" another only when its prediction is both
nearer the other's truth and misplaced, unlabeled keypoints are never a target, and an
exchange of look-alike groups is undone only where it is one."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from ml_error_anatomy import best_assignment, confusions

TRUTH = np.array([[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]])  # one image, keypoints a, b, c
NORM = np.array([20.0])


def test_a_keypoint_predicted_on_another_is_counted_against_that_one() -> None:
    predicted = TRUTH.copy()
    predicted[0, 1] = [0.5, 0.0]  # b on a
    labeled = np.ones((1, 3), dtype=bool)
    assert confusions(predicted, TRUTH, labeled, NORM, alpha=0.1) == {(1, 0): 1}


def test_a_prediction_within_alpha_of_its_own_truth_is_no_confusion() -> None:
    predicted = TRUTH.copy()
    predicted[0, 1] = [4.5, 0.0]  # nearer a (4.5) than b (5.5), but within 0.5 x 20 of b
    labeled = np.ones((1, 3), dtype=bool)
    assert confusions(predicted, TRUTH, labeled, NORM, alpha=0.5) == {}


def test_an_unlabeled_keypoint_is_never_what_another_was_put_on() -> None:
    predicted = TRUTH.copy()
    predicted[0, 1] = [0.0, 9.0]  # b on c, but c carries no label in this image
    labeled = np.array([[True, True, False]])
    assert confusions(predicted, TRUTH, labeled, NORM, alpha=0.1) == {(1, 0): 1}


def test_the_best_assignment_exchanges_a_swapped_pair_but_not_a_collapsed_one() -> None:
    labeled = np.ones((2, 3), dtype=bool)
    truth = np.concatenate([TRUTH, TRUTH])
    predicted = truth.copy()
    predicted[0, [0, 1]] = truth[0, [1, 0]]  # image 0: a and b exchanged
    predicted[1, 1] = truth[1, 0]  # image 1: b collapsed onto a
    best = best_assignment(predicted, truth, labeled, [([0], [1])])
    np.testing.assert_allclose(best[0], truth[0])
    np.testing.assert_allclose(best[1], predicted[1])
