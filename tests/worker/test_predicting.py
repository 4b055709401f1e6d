from __future__ import annotations

from worker.predicting import schema_order


def test_predictions_follow_the_projects_current_keypoint_order() -> None:
    model = ["nose", "left_eye", "right_eye", "tail"]
    project = ["tail", "nose", "chin", "left_eye"]  # reordered, right_eye deleted, chin added
    assert schema_order(model, project) == [3, 0, None, 1]


def test_an_unchanged_schema_maps_one_to_one() -> None:
    names = ["a", "b", "c"]
    assert schema_order(names, names) == [0, 1, 2]
