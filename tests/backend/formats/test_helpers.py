"""The round-trip assertion itself: it must not pass when there is nothing to compare."""

from __future__ import annotations

import pytest

from tests.backend.formats.helpers import Labels, assert_same_labels


def test_same_labels_rejects_two_empty_label_sets() -> None:
    with pytest.raises(AssertionError, match="no labeled keypoint"):
        assert_same_labels({}, {})


def test_same_labels_rejects_images_without_a_labeled_keypoint() -> None:
    nothing: Labels = {"a.png": [("unlabeled", None, None)]}
    with pytest.raises(AssertionError, match="no labeled keypoint"):
        assert_same_labels(nothing, nothing)


def test_same_labels_rejects_a_copy_that_lost_an_image() -> None:
    with pytest.raises(AssertionError):
        assert_same_labels({"a.png": [("visible", 1.0, 2.0)]}, {})


def test_same_labels_accepts_the_same_points() -> None:
    labels: Labels = {"a.png": [("visible", 1.0, 2.0), ("unlabeled", None, None)]}
    assert_same_labels(labels, {"a.png": [("visible", 1.0, 2.0), ("unlabeled", None, None)]})
