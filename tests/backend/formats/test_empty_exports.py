"""Exports of a selection with no annotated image (or no image at all) are valid files of
their format that read back as nothing, in every format; an import that brings nothing says
so in its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend.formats.bundle import DirSink
from backend.models import Project
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from backend.services.transfer_export import ExportFilter, export
from tests.backend.formats.helpers import (
    coco_doc,
    image_bytes,
    labels_of,
    make_user,
    run_import,
    write_tree,
)


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def _unannotated_project(db: Session, store: LocalBlobStore, root: Path) -> Project:
    doc = coco_doc([{"file": "a.png", "w": 64, "h": 48}, {"file": "b.png", "w": 64, "h": 48}])
    files = {"annotations.json": json.dumps(doc).encode()}
    write_tree(root, files | {"a.png": image_bytes(1), "b.png": image_bytes(2)})
    report = run_import(db, store, Format.coco, root, user=make_user(db), name="bare")
    assert report.images_created == 2 and report.annotations_saved == 0
    assert report.notes == ["annotations.json: the file holds images but no annotations"]
    return db.get_one(Project, report.project_id)


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("selection", ["unannotated", "nothing"])
def test_an_export_with_no_annotated_image_reads_back_as_no_annotations(
    db: Session, store: LocalBlobStore, tmp_path: Path, fmt: Format, selection: str
) -> None:
    project = _unannotated_project(db, store, tmp_path / "in")
    where = ExportFilter(image_ids=[] if selection == "nothing" else None)
    out = tmp_path / "out"
    out.mkdir()
    count = export(db, store, project, fmt, DirSink(out), where)
    assert count == (0 if selection == "nothing" else 2)
    again = run_import(db, store, fmt, out, user=make_user(db), name=f"again-{fmt}")
    assert labels_of(db, again.project_id) == {}
    assert again.annotations_saved == 0 and again.notes, "an empty import says so"
    assert db.get_one(Project, again.project_id).keypoint_names == project.keypoint_names


def test_an_empty_deeplabcut_export_is_a_table_pandas_reads(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    pd = pytest.importorskip("pandas")
    project = _unannotated_project(db, store, tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    export(db, store, project, Format.dlc, DirSink(out), ExportFilter(image_ids=[]))
    (csv,) = out.glob("labeled-data/*/CollectedData_*.csv")
    table = pd.read_csv(csv, header=[0, 1, 2], index_col=[0, 1, 2])
    assert (
        table.empty and list(table.columns.get_level_values(1).unique()) == project.keypoint_names
    )
    h5 = pd.read_hdf(csv.with_suffix(".h5"))
    assert h5.empty and h5.shape[1] == 2 * len(project.keypoint_names)


def test_an_empty_sleap_export_keeps_the_skeleton(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    sio = pytest.importorskip("sleap_io")
    project = _unannotated_project(db, store, tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    export(db, store, project, Format.sleap, DirSink(out), ExportFilter())
    labels = sio.load_slp(str(out / "labels.pkg.slp"), open_videos=False)
    assert len(labels.labeled_frames) == 0
    assert list(labels.skeletons[0].node_names) == project.keypoint_names


def test_an_import_into_a_project_with_no_images_says_nothing_was_imported(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    project = _unannotated_project(db, store, tmp_path / "in")
    doc = coco_doc([])
    root = write_tree(tmp_path / "empty", {"annotations.json": json.dumps(doc).encode()})
    report = run_import(db, store, Format.coco, root, user=make_user(db), project=project)
    assert report.notes == ["annotations.json: the file lists no images; nothing was imported"]
