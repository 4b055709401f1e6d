import math

import numpy as np
import pytest

from worker.ml.metrics import bbox_normalizer, head_normalizer, pck


def test_pck_counts_within_alpha_of_the_bbox_longest_side_and_ignores_unlabeled() -> None:
    truth = np.zeros((2, 3, 2))
    predicted = truth.copy()
    predicted[0, 0] = [9.0, 0.0]  # within 0.1 * 100
    predicted[0, 1] = [11.0, 0.0]  # outside
    predicted[1, 2] = [500.0, 500.0]  # wrong, but unlabeled
    labeled = np.array([[True, True, True], [True, True, False]])
    result = pck(predicted, truth, labeled, bbox_normalizer(np.array([[0, 0, 100, 40]] * 2)))
    assert result.count == 5
    assert result.pck == pytest.approx(4 / 5)
    assert result.per_keypoint == pytest.approx([1.0, 0.5, 1.0])
    assert result.median_error_px == 0.0
    assert result.mean_error_px == pytest.approx(20 / 5)


def test_never_labeled_keypoint_reports_nan_not_zero() -> None:
    result = pck(np.zeros((1, 2, 2)), np.zeros((1, 2, 2)), np.array([[True, False]]), np.ones(1))
    assert result.per_keypoint[0] == 1.0
    assert math.isnan(result.per_keypoint[1])


def test_pckh_normalizer_is_sixty_percent_of_head_diagonal() -> None:
    assert head_normalizer(np.array([[0, 0, 30, 40]]))[0] == pytest.approx(30.0)


def test_head_keypoints_are_found_by_word_not_by_substring() -> None:
    from worker.ml.metrics import head_keypoints

    assert head_keypoints(["nose", "head_top", "withers", "tail_base"]) == [0, 1]
    assert head_keypoints(["Left Ear", "right_ear", "paw"]) == [0, 1]
    assert head_keypoints(["hearing", "year", "nose"]) == []  # one head point is no head box
