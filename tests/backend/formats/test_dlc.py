"""DeepLabCut projects: config.yaml + CollectedData CSV/.h5 + frames, both ways."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.formats import dlc
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.formats.helpers import (
    assert_same_labels,
    blob_files,
    bundle_of,
    coco_doc,
    export_to,
    image_bytes,
    labels_of,
    make_user,
    run_import,
    shared,
    stored_counts,
    write_tree,
)

CONFIG = yaml.safe_dump(
    {
        "Task": "reach",
        "scorer": "Ann",
        "bodyparts": ["hand", "finger", "tongue"],
        "skeleton": [["hand", "finger"]],
    }
).encode()
CSV_OLD = b"""scorer,Ann,Ann,Ann,Ann,Ann,Ann
bodyparts,hand,hand,finger,finger,tongue,tongue
coords,x,y,x,y,x,y
labeled-data/v1/img1.png,10.5,20.25,,,30,40
"""
CSV_NEW = b"""scorer,,,Ann,Ann,Ann,Ann,Ann,Ann
bodyparts,,,hand,hand,finger,finger,tongue,tongue
coords,,,x,y,x,y,x,y
labeled-data,v1,img1.png,10.5,20.25,,,30,40
"""


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def project_dir(root: Path, csv: bytes = CSV_OLD, config: bytes = CONFIG) -> Path:
    return write_tree(
        root,
        {
            "config.yaml": config,
            "labeled-data/v1/CollectedData_Ann.csv": csv,
            "labeled-data/v1/img1.png": image_bytes(1),
        },
    )


@pytest.mark.parametrize("csv", [CSV_OLD, CSV_NEW], ids=["path-index", "three-column-index"])
def test_reads_both_csv_layouts_and_empty_cells_as_unlabeled(tmp_path: Path, csv: bytes) -> None:
    with bundle_of(project_dir(tmp_path, csv)) as bundle:
        dataset = dlc.read(bundle)
    assert dataset.keypoint_names == ["hand", "finger", "tongue"]
    assert dataset.skeleton == [("hand", "finger")]
    (item,) = dataset.items
    assert item.file_name == "labeled-data/v1/img1.png"
    assert [(p.visibility, p.x, p.y) for p in item.points or []] == [
        ("visible", 10.5, 20.25),
        ("unlabeled", None, None),
        ("visible", 30.0, 40.0),
    ]


def test_rejects_bad_yaml(tmp_path: Path) -> None:
    with (
        bundle_of(project_dir(tmp_path, config=b"bodyparts: [a,\n  - b")) as bundle,
        pytest.raises(BadInput, match=r"config.yaml: not valid YAML"),
    ):
        dlc.read(bundle)


def test_names_the_row_with_only_one_coordinate(tmp_path: Path) -> None:
    csv = CSV_OLD.replace(b"10.5,20.25", b"10.5,")
    with (
        bundle_of(project_dir(tmp_path, csv)) as bundle,
        pytest.raises(BadInput, match=r"CollectedData_Ann.csv row 4: hand has only one of"),
    ):
        dlc.read(bundle)


def test_names_a_body_part_that_config_yaml_lacks(tmp_path: Path) -> None:
    csv = CSV_OLD.replace(b"tongue,tongue", b"paw,paw")
    with (
        bundle_of(project_dir(tmp_path, csv)) as bundle,
        pytest.raises(
            BadInput, match=r"CollectedData_Ann.csv: body parts \['paw'\] are not in config.yaml"
        ),
    ):
        dlc.read(bundle)


def test_an_upload_without_any_labeled_frame_image_is_refused_and_stores_nothing(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    root = project_dir(tmp_path)
    (root / "labeled-data/v1/img1.png").unlink()
    before = stored_counts(db)
    with pytest.raises(BadInput, match=r"^config.yaml: none of the 1 labeled frames' images"):
        run_import(db, store, Format.dlc, root, user=make_user(db), name="r")
    db.rollback()
    assert stored_counts(db)[1:] == before[1:] and blob_files(store.root) == []


def real_project_subset(root: Path, frames: int) -> Path:
    """The real project with its first `frames` labeled frames (and no .h5): importing all 55
    frames takes seconds, mostly PNG decoding, and a subset tests the same code."""
    source = shared("dlc_reaching_mouse")
    folder = "labeled-data/reachingvideo1"
    lines = (source / folder / "CollectedData_Mackenzie.csv").read_text().splitlines()
    kept = lines[: 3 + frames]
    files = {
        "config.yaml": (source / "config.yaml").read_bytes(),
        f"{folder}/CollectedData_Mackenzie.csv": "\n".join(kept).encode(),
    }
    for line in kept[3:]:
        frame = line.split(",")[0]
        files[frame] = (source / frame).read_bytes()
    return write_tree(root, files)


def test_reads_all_55_real_frames_the_same_from_the_csv_and_the_h5(tmp_path: Path) -> None:
    copy = shutil.copytree(shared("dlc_reaching_mouse"), tmp_path / "mouse")
    with bundle_of(copy) as bundle:
        from_csv = dlc.read(bundle)
    (copy / "labeled-data/reachingvideo1/CollectedData_Mackenzie.csv").unlink()
    with bundle_of(copy) as bundle:
        from_h5 = dlc.read(bundle)
    assert from_csv.keypoint_names == ["Hand", "Finger1", "Tongue", "Joystick1", "Joystick2"]
    assert from_csv.skeleton == [("Hand", "Finger1"), ("Joystick1", "Joystick2")]
    assert len(from_csv.items) == 55
    for a, b in zip(from_csv.items, from_h5.items, strict=True):
        assert a.file_name == b.file_name
        assert a.points is not None and b.points is not None
        for p, q in zip(a.points, b.points, strict=True):
            assert p.visibility == q.visibility
            assert (p.x, p.y) == pytest.approx((q.x, q.y))


def test_round_trip_of_the_real_reaching_mouse_project(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    source = real_project_subset(tmp_path / "in", frames=8)
    user = make_user(db)
    first = run_import(db, store, Format.dlc, source, user=user, name="reach")
    original = labels_of(db, first.project_id)
    assert len(original) == 8
    frame = "reachingvideo1/img005.png"  # the image keeps its video folder
    assert original[frame][2] == ("unlabeled", None, None)  # an empty cell (Tongue)
    assert original[frame][0][1] == pytest.approx(185.25173502386923)
    out = export_to(db, store, first.project_id, Format.dlc, tmp_path / "out")
    second = run_import(db, store, Format.dlc, out, user=user, name="again")
    assert_same_labels(original, labels_of(db, second.project_id))


def test_export_writes_the_layout_deeplabcut_reads_and_occluded_becomes_visible(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    kps = [(10.0, 12.5, 2), (20.0, 22.0, 1), (0, 0, 0), (63.0, 47.0, 2)]
    files = {
        "annotations.json": json.dumps(
            coco_doc([{"file": "a.png", "w": 64, "h": 48, "kps": kps}])
        ).encode(),
        "a.png": image_bytes(3),
    }
    user = make_user(db)
    first = run_import(
        db, store, Format.coco, write_tree(tmp_path / "in", files), user=user, name="My mice"
    )
    out = export_to(db, store, first.project_id, Format.dlc, tmp_path / "out")
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["bodyparts"] == ["nose", "left_ear", "right_ear", "tail"]
    assert config["skeleton"][0] == ["nose", "left_ear"]
    folder = out / "labeled-data" / "mouse"  # a loose image goes under the category's name
    assert (folder / "a.png").is_file()
    df = pd.read_hdf(folder / "CollectedData_keyloop.h5", "df_with_missing")
    assert isinstance(df, pd.DataFrame)
    assert df.columns.names == ["scorer", "bodyparts", "coords"]
    assert df.index[0] == ("labeled-data", "mouse", "a.png")
    assert df[("keyloop", "left_ear", "x")].iloc[0] == 20.0
    assert pd.isna(df[("keyloop", "right_ear", "x")].iloc[0])
    second = run_import(db, store, Format.dlc, out, user=user, name="back")
    # DeepLabCut needs a video folder: the loose image comes back inside it.
    before = {f"mouse/{name}": points for name, points in labels_of(db, first.project_id).items()}
    assert_same_labels(before, labels_of(db, second.project_id), occluded_as="visible")
