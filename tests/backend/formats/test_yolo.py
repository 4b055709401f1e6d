"""Ultralytics YOLO pose datasets (data.yaml + images/ + labels/), both ways."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.formats import yolo
from backend.models import Project
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.formats.helpers import (
    assert_same_labels,
    coco_doc,
    export_to,
    image_bytes,
    labels_of,
    make_user,
    run_import,
    shared,
    write_tree,
)

# As Ultralytics' own dog-pose / coco8-pose datasets are laid out, with a 64x48 image.
DATA_YAML = b"""# Ultralytics dataset
path: ../datasets/mice-pose
train: images/train
val: images/val
kpt_shape: [3, 3]
flip_idx: [0, 2, 1]
names:
  0: mouse
kpt_names:
  0:
    - nose
    - left_ear
    - right_ear
"""
# nose visible at (16, 12), left_ear occluded at (32, 24), right_ear not labeled.
LABEL = (
    b"0 0.375 0.375 0.25 0.25 0.25 0.25 2 0.5 0.5 1 0 0 0\n"
    b"0 0.5 0.5 0.1 0.1 0.9 0.9 2 0 0 0 0 0 0\n"
)


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def ultralytics_dir(root: Path, data_yaml: bytes = DATA_YAML) -> Path:
    return write_tree(
        root,
        {
            "data.yaml": data_yaml,
            "images/train/a.png": image_bytes(1),
            "labels/train/a.txt": LABEL,
            "images/val/b.png": image_bytes(2),  # no label file: an unannotated image
        },
    )


def test_reads_a_dataset_shaped_like_ultralytics_export(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    report = run_import(db, store, Format.yolo, ultralytics_dir(tmp_path), user=make_user(db))
    assert (report.images_created, report.annotations_saved) == (2, 1)
    assert report.notes == ["data.yaml: 1 further objects skipped (one animal per image)"]
    project = db.get_one(Project, report.project_id)
    assert (project.name, project.keypoint_names) == ("mouse", ["nose", "left_ear", "right_ear"])
    assert labels_of(db, report.project_id) == {
        "a.png": [("visible", 16.0, 12.0), ("occluded", 32.0, 24.0), ("unlabeled", None, None)]
    }


def test_label_files_follow_ultralytics_path_rule() -> None:
    assert yolo.label_path("ds/images/train/sub/f.jpg") == "ds/labels/train/sub/f.txt"
    assert yolo.label_path("images/x/images/f.png") == "images/x/labels/f.txt"


def test_flip_idx_pairs_left_and_right() -> None:
    names = ["nose", "left_ear", "right_ear", "wingL", "wingR", "l_paw", "r_paw", "tail"]
    assert yolo.flip_idx(names) == [0, 2, 1, 4, 3, 6, 5, 7]


def test_without_kpt_names_keypoints_take_the_projects_order(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    user = make_user(db)
    doc = coco_doc([], names=["nose", "left_ear", "right_ear"])
    made = run_import(
        db,
        store,
        Format.coco,
        write_tree(tmp_path / "c", {"a.json": json.dumps(doc).encode()}),
        user=user,
        name="schema",
    )
    bare = DATA_YAML.split(b"kpt_names:")[0]
    project = db.get_one(Project, made.project_id)
    report = run_import(
        db, store, Format.yolo, ultralytics_dir(tmp_path / "y", bare), user=user, project=project
    )
    assert "no kpt_names; the 3 keypoints taken in the project's order" in report.notes[0]
    assert labels_of(db, project.id)["a.png"][0] == ("visible", 16.0, 12.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"labels/train/a.txt": b"0 0.5 0.5 0.1 0.1 0.2\n"},
            "labels/train/a.txt: line 1: 6 values; expected 5 + 3x3",
        ),
        (
            {"labels/train/a.txt": b"0 0.5 0.5 0.1 0.1 0.2 0.2 7 0 0 0 0 0 0\n"},
            "line 1: visibility 7.0 is not 0, 1 or 2",
        ),
        (
            {"labels/train/a.txt": b"0 0.5 0.5 0.1 0.1 x 0.2 2 0 0 0 0 0 0\n"},
            "line 1: 'x' is not a number",
        ),
        ({"data.yaml": DATA_YAML.replace(b"[3, 3]", b"[3, 4]")}, "data.yaml: kpt_shape must be"),
        (
            {"data.yaml": DATA_YAML.replace(b"0: mouse", b"0: mouse\n  1: rat")},
            "data.yaml: 2 classes ['mouse', 'rat']; choose one",
        ),
        ({"data.yaml": b"names: [a]\n"}, "needs exactly one data.yaml with kpt_shape"),
        ({"data.yaml": b"kpt_shape: [3, 3]\n\tnames: [\n"}, "data.yaml: not valid YAML (while"),
    ],
    ids=[
        "short-line",
        "bad-visibility",
        "not-a-number",
        "bad-shape",
        "two-classes",
        "no-kpt-shape",
        "bad-yaml",
    ],
)
def test_rejects_malformed_files_naming_file_and_line(
    db: Session, store: LocalBlobStore, tmp_path: Path, change: dict[str, bytes], message: str
) -> None:
    root = ultralytics_dir(tmp_path)
    write_tree(root, change)
    with pytest.raises(BadInput) as refused:
        run_import(db, store, Format.yolo, root, user=make_user(db), name="bad")
    assert message in refused.value.detail and "\n" not in refused.value.detail


def test_round_trip_keeps_coordinates_and_visibility(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    user = make_user(db)
    first = run_import(
        db, store, Format.yolo, ultralytics_dir(tmp_path / "in"), user=user, name="y1"
    )
    out = export_to(db, store, first.project_id, Format.yolo, tmp_path / "out")
    config = yaml.safe_load((out / "data.yaml").read_text())
    assert config["kpt_shape"] == [3, 3] and config["flip_idx"] == [0, 2, 1]
    assert config["kpt_names"] == {0: ["nose", "left_ear", "right_ear"]}
    assert (out / "images/train/a.png").is_file() and (out / "labels/train/a.txt").is_file()
    assert not (out / "labels/train/b.txt").exists(), "no label file: an unannotated image"
    cells = (out / "labels/train/a.txt").read_text().split()
    assert cells[0] == "0" and cells[5:] == ["0.25", "0.25", "2", "0.5", "0.5", "1", "0", "0", "0"]
    second = run_import(db, store, Format.yolo, out, user=user, name="y2")
    assert labels_of(db, first.project_id) == labels_of(db, second.project_id)


def test_round_trip_of_real_animal_data_through_yolo(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    source = shared("coco_animal_samples")
    user = make_user(db)
    for label in ("ap10k", "ak"):
        first = run_import(db, store, Format.coco, source, user=user, label=label, name=label)
        out = export_to(db, store, first.project_id, Format.yolo, tmp_path / label)
        second = run_import(db, store, Format.yolo, out, user=user, name=f"{label}-again")
        assert_same_labels(labels_of(db, first.project_id), labels_of(db, second.project_id))


def test_an_image_is_named_by_its_path_below_the_split_folder() -> None:
    assert yolo.name_below_split("images/train/v1/a.png") == "v1/a.png"
    assert yolo.name_below_split("ds/images/val/a.png") == "a.png"
    assert yolo.name_below_split("loose/a.png") == "loose/a.png"
