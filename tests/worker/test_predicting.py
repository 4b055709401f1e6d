from __future__ import annotations

from worker.predicting import schema_order


def test_predictions_follow_the_projects_current_keypoint_order() -> None:
    model = ["nose", "left_eye", "right_eye", "tail"]
    project = ["tail", "nose", "chin", "left_eye"]  # reordered, right_eye deleted, chin added
    assert schema_order(model, project) == [3, 0, None, 1]


def test_an_unchanged_schema_maps_one_to_one() -> None:
    names = ["a", "b", "c"]
    assert schema_order(names, names) == [0, 1, 2]


def test_uncertainty_scores_follow_the_projects_keypoint_order() -> None:
    import numpy as np

    from worker.active_learning import _in_model_order, _in_project_order

    model, project = ["nose", "tail"], ["tail", "chin", "nose"]
    annotation = [
        {"visibility": "visible"},
        {"visibility": "unlabeled"},
        {"visibility": "occluded"},
    ]
    assert _in_model_order(annotation, schema_order(project, model)) == [
        annotation[2],
        annotation[0],
    ]
    scores = _in_project_order(np.array([0.1, 0.9]), schema_order(model, project), np.nan)
    assert scores[0] == 0.9 and np.isnan(scores[1]) and scores[2] == 0.1
