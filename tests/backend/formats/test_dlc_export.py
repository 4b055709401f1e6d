"""What a round trip keeps: image paths, the scorer, config.yaml, the animal's name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sqlalchemy.orm import Session

from backend.formats.common import image_name, relative_name
from backend.models import Image, Project
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from backend.services.transfer_export import export_names
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
from tests.backend.formats.test_dlc import real_project_subset

KPS = [(10.0, 12.5, 2), (20.0, 22.0, 2), (0, 0, 0), (30.0, 40.0, 2)]


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def deeplabcut_merge(project: Path) -> pd.DataFrame:
    """What DeepLabCut's `merge_annotateddatasets` does with a project, as a check that needs
    no DeepLabCut: each video of `video_sets` -> labeled-data/<stem>/CollectedData_<scorer>.h5,
    columns scorer/bodyparts/coords of the config's scorer, rows naming frames that exist;
    concatenated and ordered by the config's body parts."""
    config = yaml.safe_load((project / "config.yaml").read_text())
    frames = []
    for video in config["video_sets"]:
        stem = Path(video.replace("\\", "/")).stem
        table = project / "labeled-data" / stem / f"CollectedData_{config['scorer']}.h5"
        assert table.is_file(), f"{table} is missing"
        df = pd.read_hdf(table)  # our own export: trusted here
        assert isinstance(df, pd.DataFrame)
        assert list(df.columns.names) == ["scorer", "bodyparts", "coords"]
        assert set(df.columns.get_level_values("scorer")) == {config["scorer"]}
        for row in df.index:
            assert row[:2] == ("labeled-data", stem) and (project.joinpath(*row)).is_file()
        frames.append(df)
    merged = pd.concat(frames).sort_index()
    assert list(dict.fromkeys(merged.columns.get_level_values("bodyparts"))) == config["bodyparts"]
    return merged


def test_the_real_project_exports_with_its_scorer_and_config_and_merges_back(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    source = real_project_subset(tmp_path / "in", frames=8)
    first = run_import(db, store, Format.dlc, source, user=make_user(db), name="reach")
    out = export_to(db, store, first.project_id, Format.dlc, tmp_path / "out")
    config = yaml.safe_load((out / "config.yaml").read_text())
    original = yaml.safe_load((source / "config.yaml").read_text())
    # Keyloop's fields change; the lab's stay as they were.
    assert config["scorer"] == "Mackenzie"
    assert config["video_sets"] == {"videos/reachingvideo1.mp4": {"crop": "0, 0, 0, 0"}}
    for key in ("Task", "date", "project_path", "pcutoff", "skeleton_color", "batch_size"):
        assert config[key] == original[key], key
    assert config["bodyparts"] == original["bodyparts"]
    assert config["skeleton"] == original["skeleton"]
    merged = deeplabcut_merge(out)
    assert len(merged) == 8
    # The lab's own table (pandas "table" layout, path index) takes our rows without new
    # columns, and the frames both have carry the same coordinates.
    lab = pd.read_hdf(shared("dlc_reaching_mouse", "labeled-data", "reachingvideo1",
                             "CollectedData_Mackenzie.h5"))  # fmt: skip
    assert isinstance(lab, pd.DataFrame)
    lab.index = pd.MultiIndex.from_tuples([tuple(p.split("/")) for p in lab.index])
    together = pd.concat([lab, merged])
    assert together.columns.equals(lab.columns)
    np.testing.assert_array_equal(lab.loc[merged.index].to_numpy(), merged.to_numpy())


def test_the_scorer_option_names_the_tables_and_the_config(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    source = real_project_subset(tmp_path / "in", frames=2)
    first = run_import(db, store, Format.dlc, source, user=make_user(db), name="reach")
    from backend.formats.bundle import DirSink
    from backend.services.transfer_export import ExportFilter, export

    out = tmp_path / "out"
    project = db.get_one(Project, first.project_id)
    export(db, store, project, Format.dlc, DirSink(out), ExportFilter(), scorer="Ann")
    assert yaml.safe_load((out / "config.yaml").read_text())["scorer"] == "Ann"
    assert (out / "labeled-data/reachingvideo1/CollectedData_Ann.csv").is_file()
    assert len(deeplabcut_merge(out)) == 2


def test_folders_in_image_names_survive_coco_and_deeplabcut_round_trips(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    names = ["data/exp_1/session_a/images/frame_1.jpg", "data/exp_2/session_a/images/frame_1.jpg"]
    doc = coco_doc([{"file": n, "w": 64, "h": 48, "kps": KPS} for n in names])
    doc["categories"][0]["name"] = "Field vole"
    files = {"annotations.json": json.dumps(doc).encode()}
    files |= {n: image_bytes(i) for i, n in enumerate(names)}
    user = make_user(db)
    first = run_import(db, store, Format.coco, write_tree(tmp_path / "in", files), user=user)
    original = labels_of(db, first.project_id)
    assert sorted(original) == names  # not both "frame_1.jpg"
    out = export_to(db, store, first.project_id, Format.coco, tmp_path / "coco")
    exported = json.loads((out / "annotations.json").read_text())
    assert [i["file_name"] for i in exported["images"]] == names
    assert exported["categories"][0]["name"] == "Field vole"  # not the project's slug
    again = run_import(db, store, Format.coco, out, user=user, name="again")
    assert_same_labels(original, labels_of(db, again.project_id))
    # DeepLabCut has one folder level: the folders become the video's name.
    dlc_out = export_to(db, store, first.project_id, Format.dlc, tmp_path / "dlc")
    assert (dlc_out / "labeled-data/data_exp_1_session_a_images/frame_1.jpg").is_file()
    assert len(deeplabcut_merge(dlc_out)) == 2


def test_export_names_are_safe_paths_and_clashes_get_a_stable_suffix() -> None:
    images = [
        Image(original_name="a/frame.png", checksum="1" * 64),
        Image(original_name="b/frame.png", checksum="2" * 64),
        Image(original_name="frame.png", checksum="3" * 64),
        Image(original_name="FRAME.png", checksum="4" * 64),  # equal on macOS and Windows
        Image(original_name="../../etc/passwd", checksum="5" * 64),
        Image(original_name="C:\\x\\y.png", checksum="6" * 64),
        Image(original_name="/abs/z.png", checksum="7" * 64),
    ]
    names = export_names(images)
    assert names[:4] == ["a/frame.png", "b/frame.png", "frame-33333333.png", "FRAME-44444444.png"]
    assert names[4:] == ["image_55555555", "image_66666666.png", "image_77777777.png"]
    assert export_names(images[1:2] + images[:1]) == ["b/frame.png", "a/frame.png"]


@pytest.mark.parametrize(
    ("reference", "found", "kept"),
    [
        ("data/exp_1/frame_1.jpg", "upload/data/exp_1/frame_1.jpg", "data/exp_1/frame_1.jpg"),
        ("./images\\a.png", "images/a.png", "images/a.png"),
        ("/home/lab/frames/a.png", "frames/a.png", "frames/a.png"),
        ("../a.png", "../a.png", "a.png"),
    ],
)
def test_imported_images_keep_the_files_relative_path(
    reference: str, found: str, kept: str
) -> None:
    assert image_name(reference, found) == kept
    assert relative_name(kept) == kept


def test_a_sleap_export_keeps_same_named_frames_of_different_folders_apart(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    names = ["exp_1/frame_1.png", "exp_2/frame_1.png"]
    kps = [[(10.0, 12.0, 2), (0, 0, 0), (0, 0, 0), (0, 0, 0)], [(30.0, 32.0, 2), *[(0, 0, 0)] * 3]]
    doc = coco_doc(
        [{"file": n, "w": 64, "h": 48, "kps": k} for n, k in zip(names, kps, strict=True)]
    )
    files = {"annotations.json": json.dumps(doc).encode()}
    files |= {n: image_bytes(i + 1) for i, n in enumerate(names)}
    user = make_user(db)
    first = run_import(db, store, Format.coco, write_tree(tmp_path / "in", files), user=user)
    out = export_to(db, store, first.project_id, Format.sleap, tmp_path / "out")
    again = run_import(db, store, Format.sleap, out / "labels.pkg.slp", user=user, name="s")
    assert again.images_created == 2 and again.duplicates == []


@pytest.mark.parametrize("name", ["../escape.png", "/abs.png", "C:/x.png", "a/../../b.png"])
def test_a_zip_export_refuses_names_that_would_escape_the_archive(name: str) -> None:
    import io
    import zipfile

    from backend.errors import BadInput
    from backend.formats.bundle import ZipSink

    with zipfile.ZipFile(io.BytesIO(), "w") as archive:
        sink = ZipSink(archive)
        sink.write_bytes("labeled-data\\v\\ok.csv", b"ok")  # Windows separators: read as folders
        assert archive.namelist() == ["labeled-data/v/ok.csv"]
        with pytest.raises(BadInput, match="points outside the archive"):
            sink.write_bytes(name, b"no")
