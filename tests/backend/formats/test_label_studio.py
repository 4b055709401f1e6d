"""Label Studio JSON exports with keypointlabels, both ways."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.formats import label_studio
from backend.models import Project
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.formats.helpers import (
    assert_same_labels,
    export_to,
    image_bytes,
    labels_of,
    make_user,
    run_import,
    shared,
    write_tree,
)


def region(rid: str, label: str, x: float, y: float) -> dict[str, Any]:
    """One keypoint as Label Studio exports it: percent of the original size."""
    return {
        "id": rid,
        "type": "keypointlabels",
        "from_name": "kp-1",
        "to_name": "img-1",
        "original_width": 64,
        "original_height": 48,
        "image_rotation": 0,
        "value": {"x": x, "y": y, "width": 0.6, "keypointlabels": [label]},
        "origin": "manual",
    }


# Shaped like Label Studio's "JSON" export of a project with <KeyPointLabels>: uploaded
# files get an 8-hex-digit prefix and live under /data/upload/<project>/.
TASKS: list[dict[str, Any]] = [
    {
        "id": 11,
        "data": {"image": "/data/upload/3/4f1c2a9b-a.png"},
        "annotations": [
            {
                "id": 21,
                "completed_by": 1,
                "was_cancelled": False,
                "ground_truth": False,
                "result": [
                    region("r1", "nose", 25.0, 25.0),
                    region("r2", "tail", 50.0, 50.0),
                    region("r3", "nose", 1.0, 1.0),  # placed twice: the first is kept
                ],
                "created_at": "2024-05-01T10:00:00.000000Z",
                "lead_time": 12.5,
            }
        ],
        "predictions": [],
        "meta": {},
        "project": 3,
    },
    {
        "id": 12,
        "data": {"image": "/data/local-files/?d=frames/b.png"},
        "annotations": [],
        "predictions": [{"result": [region("p1", "nose", 10.0, 10.0)], "score": 0.5}],
        "project": 3,
    },
]
CONFIG = b"""<View>
  <Image name="img-1" value="$image" zoom="true"/>
  <KeyPointLabels name="kp-1" toName="img-1">
    <Label value="nose" background="red"/>
    <Label value="ear" background="green"/>
    <Label value="tail" background="blue"/>
  </KeyPointLabels>
</View>"""


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def ls_dir(root: Path, tasks: list[dict[str, Any]] = TASKS, config: bool = True) -> Path:
    files = {"export.json": json.dumps(tasks).encode(), "a.png": image_bytes(1)}
    files |= {"frames/b.png": image_bytes(2)} | ({"config.xml": CONFIG} if config else {})
    return write_tree(root, files)


def test_reads_an_export_shaped_like_label_studios(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    report = run_import(db, store, Format.label_studio, ls_dir(tmp_path), user=make_user(db))
    assert (report.images_created, report.annotations_saved) == (2, 1)
    assert report.notes == ["export.json: 1 repeated keypoints skipped (first kept)"]
    project = db.get_one(Project, report.project_id)
    assert project.keypoint_names == ["nose", "ear", "tail"], "the labeling config's order"
    assert labels_of(db, report.project_id) == {
        "a.png": [("visible", 16.0, 12.0), ("unlabeled", None, None), ("visible", 32.0, 24.0)]
    }


def test_without_a_config_names_come_from_the_results(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    root = ls_dir(tmp_path, config=False)
    report = run_import(db, store, Format.label_studio, root, user=make_user(db), name="n")
    assert db.get_one(Project, report.project_id).keypoint_names == ["nose", "tail"]


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ([{"oops": 1}], "export.json: task 0: data names no image"),
        (
            [{**TASKS[0], "data": {"image": "/data/upload/3/zz-missing.png"}}],
            "export.json: task 11 (/data/upload/3/zz-missing.png): image 'data/upload/3/zz-",
        ),
        (
            [
                {
                    "id": 5,
                    "data": {"image": "a.png"},
                    "annotations": [
                        {"result": [{**region("q", "nose", 5, 5), "image_rotation": 90}]}
                    ],
                }
            ],
            "export.json: task 5, region 'q': the image is rotated",
        ),
        (
            [
                {
                    "id": 6,
                    "data": {"image": "a.png"},
                    "annotations": [{"result": [region("q", "paw", 5, 5)]}],
                }
            ],
            "export.json: task 6: keypoint label 'paw' is not in the labeling config",
        ),
    ],
    ids=["no-image", "missing-image", "rotated", "unknown-label"],
)
def test_rejects_bad_exports_naming_task_and_region(
    db: Session, store: LocalBlobStore, tmp_path: Path, tasks: Any, message: str
) -> None:
    with pytest.raises(BadInput) as refused:
        run_import(
            db, store, Format.label_studio, ls_dir(tmp_path, tasks), user=make_user(db), name="b"
        )
    assert message in refused.value.detail, refused.value.detail
    assert "\n" not in refused.value.detail


def test_round_trip_keeps_coordinates_and_occlusion(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    user = make_user(db)
    first = run_import(
        db, store, Format.coco, shared("coco_animal_samples"), user=user, label="ak", name="ak"
    )
    original = labels_of(db, first.project_id)
    assert {v for pts in original.values() for v, _, _ in pts} == {"occluded", "unlabeled"}
    out = export_to(db, store, first.project_id, Format.label_studio, tmp_path / "out")
    tasks = json.loads((out / "tasks.json").read_text())
    assert all(t["data"]["image"].startswith("images/") for t in tasks)
    kinds = {r["type"] for t in tasks for a in t["annotations"] for r in a["result"]}
    assert kinds == {"keypointlabels", "choices"}, "occluded points carry a per-region choice"
    second = run_import(db, store, Format.label_studio, out, user=user, name="ak-again")
    assert_same_labels(original, labels_of(db, second.project_id))
    assert (
        db.get_one(Project, second.project_id).keypoint_names
        == db.get_one(Project, first.project_id).keypoint_names
    )


@pytest.mark.parametrize(
    "tasks",
    [
        [{"id": 1, "data": ["a.png"], "annotations": "x"}],
        [{"id": 1, "data": {"image": "a.png"}, "annotations": [{"result": {"a": 1}}]}],
        [{"id": 1, "data": {"image": "a.png"}, "annotations": [{"result": ["x", 3]}]}],
        [
            {
                "id": 1,
                "data": {"image": "a.png"},
                "annotations": [{"result": [{"type": "keypointlabels", "value": [1]}]}],
            }
        ],
        [
            {
                "id": 1,
                "data": {"image": "a.png"},
                "annotations": [
                    {"result": [{**region("q", "nose", 5, 5), "original_width": "wide"}]}
                ],
            }
        ],
        [
            {
                "id": 1,
                "data": {"image": "a.png"},
                "annotations": [
                    {
                        "result": [
                            {
                                **region("q", "nose", 5, 5),
                                "value": {"x": None, "y": 1, "keypointlabels": ["nose"]},
                            }
                        ]
                    }
                ],
            }
        ],
        "not a list of tasks",
    ],
)
def test_malformed_structures_are_refused_in_one_line(
    db: Session, store: LocalBlobStore, tmp_path: Path, tasks: Any
) -> None:
    with pytest.raises(BadInput) as refused:
        run_import(
            db, store, Format.label_studio, ls_dir(tmp_path, tasks), user=make_user(db), name="m"
        )
    assert refused.value.detail.startswith("export.json") and "\n" not in refused.value.detail


def test_reads_the_json_min_export(db: Session, store: LocalBlobStore, tmp_path: Path) -> None:
    def kp(label: str, x: float, y: float) -> dict[str, Any]:
        return {"x": x, "y": y, "width": 0.6, "keypointlabels": [label],
                "original_width": 64, "original_height": 48}  # fmt: skip

    tasks = [
        {"image": "/data/upload/3/4f1c2a9b-a.png", "id": 11, "kp-1": [kp("tail", 50.0, 50.0)],
         "annotator": "a@example.com", "annotation_id": 21, "lead_time": 3.1},
        {"image": "/data/local-files/?d=frames/b.png", "id": 12},
    ]  # fmt: skip
    report = run_import(db, store, Format.label_studio, ls_dir(tmp_path, tasks), user=make_user(db))
    assert (report.images_created, report.annotations_saved) == (2, 1)
    assert labels_of(db, report.project_id) == {
        "a.png": [("unlabeled", None, None), ("unlabeled", None, None), ("visible", 32.0, 24.0)]
    }


def test_an_image_is_named_as_the_lab_knows_it() -> None:
    assert label_studio.image_name_of("/data/upload/3/4f1c2a9b-frame.png") == "frame.png"
    assert (
        label_studio.image_name_of("/data/local-files/?d=site%202/frame.png") == "site 2/frame.png"
    )
    assert label_studio.image_name_of("images/v1/frame.png") == "v1/frame.png"
