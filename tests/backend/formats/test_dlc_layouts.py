"""Lightning Pose projects, DeepLabCut folders without config.yaml, multi-animal tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.formats import dlc
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.formats.helpers import (
    bundle_of,
    image_bytes,
    labels_of,
    make_user,
    run_import,
    shared,
    write_tree,
)

LP_CSV = b"""scorer,lp,lp,lp,lp
bodyparts,paw,paw,nose,nose
coords,x,y,x,y
labeled-data/mouse1/img00012.png,1.5,2.5,3,4
labeled-data/mouse2/img00007.png,,,5,6
"""
MADLC = ("sleap_io_js", "dlc", "labeled-data", "video")


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def lightning_pose(root: Path, csvs: dict[str, bytes] | None = None) -> Path:
    files = csvs or {"CollectedData.csv": LP_CSV}
    files = {
        **files,
        "labeled-data/mouse1/img00012.png": image_bytes(1),
        "labeled-data/mouse2/img00007.png": image_bytes(2),
        "labeled-data/mouse2/img00009.png": image_bytes(3),  # extracted, not labeled yet
        "videos/mouse1.mp4": b"not read",
    }
    return write_tree(root, files)


def test_imports_a_lightning_pose_project_with_its_schema_from_the_csv_header(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    report = run_import(
        db, store, Format.dlc, lightning_pose(tmp_path), user=make_user(db), name="lp"
    )
    assert labels_of(db, report.project_id) == {
        "mouse1/img00012.png": [("visible", 1.5, 2.5), ("visible", 3.0, 4.0)],
        "mouse2/img00007.png": [("unlabeled", None, None), ("visible", 5.0, 6.0)],
    }
    assert report.images_created == 3  # the frame without a row comes in unlabeled
    assert report.notes[0] == (
        "images without a labeled row, imported unlabeled: 1 (labeled-data/mouse2/img00009.png)"
    )
    # The project's video is attached when it is one; these bytes are not, and say so.
    assert report.notes[1:] == [
        "videos/mouse1.mp4: not a readable video (Invalid data found when processing input); "
        "its frames are imported as plain images"
    ]


def test_reads_lightning_pose_multi_view_csvs_whose_body_parts_differ(tmp_path: Path) -> None:
    top = LP_CSV.replace(b"labeled-data/mouse2/img00007.png,,,5,6\n", b"")
    bottom = b"""scorer,lp,lp
bodyparts,tail,tail
coords,x,y
labeled-data/mouse2/img00007.png,7,8
"""
    root = lightning_pose(tmp_path, {"CollectedData_top.csv": top, "CollectedData_bot.csv": bottom})
    with bundle_of(root) as bundle:
        dataset = dlc.read(bundle)
    assert dataset.keypoint_names == ["tail", "paw", "nose"]  # the views' parts, united
    assert dataset.skeleton == []
    by_name = {i.name: i.points for i in dataset.items}
    assert by_name["mouse2/img00007.png"] is not None
    bottom_row = by_name["mouse2/img00007.png"]
    assert [p.visibility for p in bottom_row] == ["visible", "unlabeled", "unlabeled"]


def test_a_folder_without_config_yaml_reports_frames_without_image(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    root = lightning_pose(tmp_path / "p")
    (root / "labeled-data/mouse1/img00012.png").unlink()
    report = run_import(db, store, Format.dlc, root, user=make_user(db), name="lp")
    assert list(labels_of(db, report.project_id)) == ["mouse2/img00007.png"]
    assert report.notes[0] == (
        "labeled frames without their image, skipped: 1 (labeled-data/mouse1/img00012.png)"
    )


def test_refuses_an_upload_with_no_table_in_one_line(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"labeled-data/v/img1.png": image_bytes(1)})
    with (
        bundle_of(root) as bundle,
        pytest.raises(BadInput, match=r"^DeepLabCut import found no labeled-data/\*/Collected"),
    ):
        dlc.read(bundle)


def test_the_real_project_without_its_config_gives_the_same_labels(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    source = shared("dlc_reaching_mouse")
    folder = "labeled-data/reachingvideo1"
    lines = (source / folder / "CollectedData_Mackenzie.csv").read_text().splitlines()[:7]
    files = {f"{folder}/CollectedData_Mackenzie.csv": "\n".join(lines).encode()}
    files |= {line.split(",")[0]: (source / line.split(",")[0]).read_bytes() for line in lines[3:]}
    with_config = write_tree(
        tmp_path / "a", {**files, "config.yaml": (source / "config.yaml").read_bytes()}
    )
    without = write_tree(tmp_path / "b", files)
    user = make_user(db)
    a = run_import(db, store, Format.dlc, with_config, user=user, name="with")
    b = run_import(db, store, Format.dlc, without, user=user, name="without")
    assert len(labels_of(db, a.project_id)) == 4
    assert labels_of(db, a.project_id) == labels_of(db, b.project_id)


def test_multi_animal_keeps_the_first_labeled_individual_and_counts_the_others(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    folder = shutil.copytree(shared(*MADLC), tmp_path / "video")
    with bundle_of(folder) as bundle:
        dataset = dlc.read(bundle)
    # CollectedData_LM.csv (the other CSVs are not CollectedData): Animal1 + unique D and E.
    assert dataset.keypoint_names == ["A", "B", "C", "D", "E"]
    points = {i.name: [(p.x, p.y) for p in i.points or []] for i in dataset.items}
    assert points["video/img000.png"] == [(0, 1), (2, 3), (4, 5), (None, None), (None, None)]
    assert points["video/img001.png"] == [(12, 13), (None, None), (15, 16), (22, 23), (24, 25)]
    assert points["video/img003.png"][3:] == [(32, 33), (34, 35)]
    # The fixture's four frames are the same picture: one image, three duplicates.
    report = run_import(db, store, Format.dlc, folder, user=make_user(db), name="ma")
    assert report.images_created == 1 and len(report.duplicates) == 3
    assert labels_of(db, report.project_id)["video/img000.png"][0] == ("visible", 0.0, 1.0)
    assert report.notes[0] == (
        "CollectedData_LM.csv: Keyloop keeps one animal per image; 2 other "
        "labeled animals were left out (Animal2 in 2 frames)"
    )


@pytest.mark.parametrize("name", ["madlc_testdata.csv", "madlc_testdata_v2.csv"])
def test_multi_animal_reads_the_individual_asked_for(tmp_path: Path, name: str) -> None:
    source = shared(*MADLC)
    root = write_tree(
        tmp_path,
        {
            f"labeled-data/video/{name}": (source / name).read_bytes(),
            "labeled-data/video/img000.png": image_bytes(1),
            "labeled-data/video/img001.png": image_bytes(2),
        },
    )
    with bundle_of(root) as bundle:
        dataset = dlc.read(bundle, "Animal2")
        assert dataset.keypoint_names == ["A", "B", "C"]
        first = dataset.items[0].points or []
        assert [(p.x, p.y) for p in first] == [(6.0, 7.0), (8.0, 9.0), (10.0, 11.0)]
        assert dataset.notes[0].endswith("left out (Animal1 in 3 frames)")
        with pytest.raises(BadInput, match=r"no individual named 'Animal9'; there are \['Animal1'"):
            dlc.read(bundle, "Animal9")


def test_a_multi_animal_config_gives_the_schema_and_skeleton(tmp_path: Path) -> None:
    source = shared(*MADLC)
    root = write_tree(
        tmp_path,
        {
            "config.yaml": (source.parents[1] / "madlc_230_config.yaml").read_bytes(),
            "labeled-data/video/CollectedData_LM.csv": (
                source / "CollectedData_LM.csv"
            ).read_bytes(),
            "labeled-data/video/img000.png": image_bytes(1),
        },
    )
    with bundle_of(root) as bundle:
        dataset = dlc.read(bundle)
    assert dataset.keypoint_names == ["A", "B", "C", "D", "E"]
    assert dataset.skeleton == [("A", "B"), ("B", "C"), ("A", "C")]
    assert dataset.metadata["dlc"]["scorer"] == "LM"
    assert [i.name for i in dataset.items] == ["video/img000.png"]
    assert "labeled frames without their image, skipped: 3" in dataset.notes[-1]


def test_the_merged_copy_under_training_datasets_is_not_read_twice(tmp_path: Path) -> None:
    root = lightning_pose(tmp_path)
    merged = "training-datasets/iteration-0/UnaugmentedDataSet_lpJan1/CollectedData_lp.csv"
    write_tree(root, {merged: LP_CSV})
    with bundle_of(root) as bundle:
        dataset = dlc.read(bundle)
    names = [str(i.name) for i in dataset.items]
    assert sorted(names) == ["mouse1/img00012.png", "mouse2/img00007.png", "mouse2/img00009.png"]


def test_a_table_with_the_labeller_s_absolute_paths_names_images_below_labeled_data(
    tmp_path: Path,
) -> None:
    csv = LP_CSV.replace(b"labeled-data/mouse1", b"C:\\Users\\lab\\proj\\labeled-data\\mouse1")
    root = lightning_pose(tmp_path, {"CollectedData.csv": csv})
    with bundle_of(root) as bundle:
        dataset = dlc.read(bundle)
    assert dataset.items[0].name == "mouse1/img00012.png"
    assert dataset.notes == [
        "images without a labeled row, imported unlabeled: 1 (labeled-data/mouse2/img00009.png)"
    ]
