"""The five suspect-label signals and their combination, on synthetic arrays (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from worker.suspect_signals import (
    Labels,
    ModelView,
    classified_as_other,
    combine,
    edge_length,
    far_from_prediction,
    left_right_swap,
    outside_roi,
    reasons,
    score_all,
    vouched,
)

NAMES = ["nose", "left_ear", "right_ear", "tail"]
FLIP = [(1, 2)]
EDGES = [(0, 1), (0, 2), (0, 3)]
ALPHA = 0.1
# One animal 100 px long: nose, ears either side of it, tail behind.
BASE = np.array([[50.0, 50.0], [40.0, 40.0], [60.0, 40.0], [50.0, 130.0]])


def _labels(xy: np.ndarray, roi: tuple[float, ...] | None = None) -> Labels:
    n = xy.shape[0]
    rois = np.array([roi or (np.nan,) * 4] * n, dtype=np.float64)
    return Labels(xy.astype(np.float64), np.full(n, 100.0), rois)


def _model(xy: np.ndarray, confidence: float = 0.95, probs: np.ndarray | None = None) -> ModelView:
    n, k = xy.shape[:2]
    if probs is None:
        probs = np.broadcast_to(np.eye(k) * 0.9 + 0.1 / k, (n, k, k)).copy()
    return ModelView(xy.astype(np.float64), np.full((n, k), confidence), probs)


def test_a_label_far_from_a_confident_prediction_is_flagged() -> None:
    labels = BASE.copy()
    labels[3] += (0, 25)  # the tail 25 % of the animal's size away from where the model is sure
    e = far_from_prediction(_labels(labels[None]), _model(BASE[None]), ALPHA)
    assert e.values[0, 3] == pytest.approx(0.95)
    assert e.values[0, :3].tolist() == [0.0, 0.0, 0.0]
    assert e.numbers["distance_px"][0, 3] == pytest.approx(25.0)


def test_a_label_close_to_the_prediction_is_not_flagged() -> None:
    labels = BASE + 2.0  # 3 % of the size: within the model's own error
    e = far_from_prediction(_labels(labels[None]), _model(BASE[None]), ALPHA)
    assert (e.values == 0).all()


def test_a_far_label_counts_only_as_much_as_the_model_is_sure() -> None:
    labels = BASE.copy()
    labels[3] += (0, 25)
    unsure = far_from_prediction(_labels(labels[None]), _model(BASE[None], 0.2), ALPHA)
    assert unsure.values[0, 3] == pytest.approx(0.2)


def test_a_swapped_left_right_pair_is_flagged_as_a_swap_on_both_points() -> None:
    labels = BASE.copy()
    labels[[1, 2]] = labels[[2, 1]]
    e = left_right_swap(_labels(labels[None]), _model(BASE[None]), ALPHA, FLIP)
    assert e.values[0, 1] == pytest.approx(0.95) and e.values[0, 2] == pytest.approx(0.95)
    assert e.numbers["partner"][0, 1] == 2 and e.numbers["partner"][0, 2] == 1
    assert e.values[0, 0] == 0 and e.values[0, 3] == 0


def test_one_point_moved_onto_its_pair_is_not_called_a_swap() -> None:
    labels = BASE.copy()
    labels[1] = BASE[2]  # left ear on the right ear's spot, right ear correct
    e = left_right_swap(_labels(labels[None]), _model(BASE[None]), ALPHA, FLIP)
    assert (e.values == 0).all()


def test_correct_labels_are_no_swap() -> None:
    e = left_right_swap(_labels(BASE[None]), _model(BASE[None]), ALPHA, FLIP)
    assert (e.values == 0).all()


def _population(count: int = 30) -> np.ndarray:
    """Many images of the animal with the usual small variation of each point."""
    rng = np.random.default_rng(0)
    return BASE[None] + rng.normal(scale=0.5, size=(count, *BASE.shape))


def test_an_outlier_edge_blames_its_far_end_most() -> None:
    xy = _population()
    xy[7, 3] = (50.0, 75.0)  # tail labeled at a quarter of its usual distance from the nose
    e = edge_length(_labels(xy), EDGES)
    assert e.values[7, 3] == pytest.approx(1.0)
    assert e.numbers["neighbour"][7, 3] == 0 and e.numbers["ratio"][7, 3] < 0.5
    assert e.values[7, 0] == pytest.approx(1 / 3)  # the nose: one of its three edges is off
    others = np.delete(e.values, 7, axis=0)
    assert others.max() < 0.2


def test_edge_lengths_need_enough_labels_to_judge() -> None:
    xy = _population(5)
    xy[0, 3] = (50.0, 75.0)
    assert (edge_length(_labels(xy), EDGES).values == 0).all()


def test_edge_lengths_are_relative_to_each_animals_size() -> None:
    xy = _population()
    xy[3] = xy[3] * 3  # the same pose three times larger
    assert edge_length(_labels(xy), EDGES).values.max() < 0.2


def test_a_label_outside_the_roi_is_flagged() -> None:
    labels = BASE.copy()
    labels[3] = (50.0, 170.0)  # 20 px below a ROI that ends at y = 150
    e = outside_roi(_labels(labels[None], roi=(20.0, 20.0, 100.0, 130.0)), ALPHA)
    assert e.values[0].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert e.numbers["distance_px"][0, 3] == pytest.approx(20.0)


def test_no_roi_means_nothing_is_outside_it() -> None:
    labels = BASE.copy()
    labels[3] = (50.0, 1000.0)
    assert (outside_roi(_labels(labels[None]), ALPHA).values == 0).all()


def test_the_classifier_flags_a_label_whose_spot_reads_as_another_keypoint() -> None:
    probs = np.broadcast_to(np.eye(4) * 0.9 + 0.025, (1, 4, 4)).copy()
    probs[0, 0] = (0.1, 0.05, 0.05, 0.8)  # z at the nose label looks like the tail
    e = classified_as_other(_model(BASE[None], probs=probs))
    assert e.values[0, 0] == pytest.approx(0.7 * 3 / 4)  # it reads 3 of the 4 labels right
    assert e.numbers["other"][0, 0] == 3
    assert (e.values[0, 1:] == 0).all()


def test_a_label_without_a_classifier_reading_is_not_flagged_by_it() -> None:
    probs = np.full((1, 4, 4), np.nan)
    assert (classified_as_other(_model(BASE[None], probs=probs)).values == 0).all()


def test_the_combination_is_a_noisy_or_and_ignores_unlabeled_points() -> None:
    a, b = np.array([[0.5, 0.0, 0.9]]), np.array([[0.5, 0.0, 0.9]])
    labeled = np.array([[True, True, False]])
    assert combine([a, b], labeled).tolist() == [[0.75, 0.0, 0.0]]


def test_reasons_name_the_keypoint_and_come_strongest_first() -> None:
    labels = BASE.copy()
    labels[[1, 2]] = labels[[2, 1]]
    probs = np.broadcast_to(np.eye(4) * 0.9 + 0.025, (1, 4, 4)).copy()
    probs[0, 1] = (0.025, 0.3, 0.65, 0.025)  # left ear's label reads as the right ear
    scores = score_all(_labels(labels[None]), _model(BASE[None], probs=probs), ALPHA, FLIP, EDGES)
    assert scores.score[0, 0] == 0 and scores.score[0, 1] > 0.95
    why = reasons(scores, 0, 1, NAMES)
    assert [r["kind"] for r in why] == [
        "far_from_prediction",
        "left_right_swap",
        "classified_as_other",
    ]
    assert why[1]["partner_keypoint"] == "right_ear" and "right_ear" in why[1]["detail"]
    assert why[2]["other_keypoint"] == "right_ear"


def test_a_classifier_that_reads_most_labels_wrong_is_not_trusted() -> None:
    probs = np.broadcast_to(np.full((4, 4), 0.1) + np.roll(np.eye(4), 1, axis=1) * 0.6, (5, 4, 4))
    e = classified_as_other(_model(np.repeat(BASE[None], 5, axis=0), probs=probs.copy()))
    assert (e.values == 0).all()


def test_a_project_without_labels_scores_nothing() -> None:
    empty = np.zeros((0, 4, 2))
    labels = Labels(empty, np.zeros(0), np.zeros((0, 4)))
    model = ModelView(empty, np.zeros((0, 4)), np.zeros((0, 4, 4)))
    assert score_all(labels, model, ALPHA, FLIP, EDGES).score.shape == (0, 4)


def test_a_label_the_model_confidently_predicts_is_no_certain_suspect_whatever_its_edges() -> None:
    xy = _population()
    xy[7, 3] = (50.0, 75.0)  # an unusually short edge, but the model puts the tail there too
    scores = score_all(_labels(xy), _model(xy, confidence=0.9), ALPHA, FLIP, EDGES)
    assert scores.evidence["edge_length"].values[7, 3] == pytest.approx(1.0)
    assert scores.score[7, 3] == pytest.approx(0.1)  # wrong only if the model is: 1 - c
    unsure = score_all(_labels(xy), _model(xy, confidence=0.2), ALPHA, FLIP, EDGES)
    assert unsure.score[7, 3] == pytest.approx(0.8)


def test_the_model_vouches_only_for_labels_near_its_prediction() -> None:
    labels = BASE.copy()
    labels[1] += (0, 10)  # alpha · l from the prediction: half way through the ramp
    labels[2] += (0, 25)  # beyond 3alpha/2 · l: no word for it
    model = _model(BASE[None], confidence=0.9)
    model.xy[0, 3] = np.nan  # no prediction of the tail
    sure = vouched(far_from_prediction(_labels(labels[None]), model, ALPHA), ALPHA)
    assert sure[0].tolist() == pytest.approx([0.9, 0.45, 0.0, 0.0])
