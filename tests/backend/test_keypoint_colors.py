"""Default keypoint colours: never two alike, however long the schema."""

from __future__ import annotations

from backend.schemas.project import KeypointSchema


def test_seventeen_keypoints_get_seventeen_different_colours() -> None:
    schema = KeypointSchema(
        keypoints=[{"name": f"k{i}"} for i in range(40)],
        skeleton=[],
        flip_pairs=[],
    )
    colors = [k.color for k in schema.keypoints]
    assert len(set(colors)) == 40
    assert colors[16] != colors[0]


def test_default_colours_avoid_the_ones_a_schema_chose() -> None:
    schema = KeypointSchema(
        keypoints=[{"name": "a"}, {"name": "b", "color": "#E6194B"}],
        skeleton=[],
        flip_pairs=[],
    )
    assert schema.keypoints[0].color != "#e6194b"
