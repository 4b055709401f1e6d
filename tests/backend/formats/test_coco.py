"""COCO keypoints: reading, writing, and import/export through the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pycocotools.coco import COCO  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.formats import coco
from backend.formats.bundle import Bundle
from backend.formats.common import Dataset, Item, Keypoint
from backend.models import (
    AnnotationRevision,
    Image,
    ImageState,
    ModelVersion,
    Prediction,
    Project,
)
from backend.schemas.project import KeypointSchema, ProjectCreate
from backend.services.projects import create_project
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from backend.services.transfer_export import ExportFilter, coco_document
from tests.backend.formats.helpers import (
    NAMES,
    assert_same_labels,
    blob_files,
    coco_doc,
    export_to,
    image_bytes,
    labels_of,
    make_user,
    run_import,
    shared,
    stored_counts,
    write_tree,
    zip_of,
)

REAL_CATEGORIES = [
    "atrw",
    "ak",
    "ap10k",
    "animalpose",
    "horse10",
    "macaque",
    "fly",
    "locust",
    "zebra",
]
KPS = [(10.0, 12.5, 2), (20.0, 22.0, 1), (0, 0, 0), (63.0, 47.0, 2)]


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def two_images(root: Path, doc_items: list[dict[str, object]] | None = None) -> Path:
    items = doc_items or [
        {"file": "a.png", "w": 64, "h": 48, "kps": KPS},
        {"file": "b.png", "w": 64, "h": 48, "kps": None},
    ]
    files = {"annotations.json": json.dumps(coco_doc(items)).encode()}
    files |= {f"images/{it['file']}": image_bytes(i) for i, it in enumerate(items)}
    return write_tree(root, files)


# --- the format alone -------------------------------------------------------------------


def test_reads_v_0_1_2_as_unlabeled_occluded_visible() -> None:
    dataset = coco.parse("a.json", coco_doc([{"file": "a.png", "w": 64, "h": 48, "kps": KPS}]))
    points = dataset.items[0].points
    assert points is not None
    assert [p.visibility for p in points] == ["visible", "occluded", "unlabeled", "visible"]
    assert (points[1].x, points[1].y) == (20.0, 22.0)
    assert dataset.skeleton == [("nose", "left_ear"), ("nose", "right_ear"), ("nose", "tail")]


def test_writes_visibility_back_as_v_and_unlabeled_as_zeros() -> None:
    points = [
        Keypoint(1.0, 2.0, "visible"),
        Keypoint(3.0, 4.0, "occluded"),
        Keypoint(None, None, "unlabeled"),
        Keypoint(5.0, 6.0, "visible"),
    ]
    doc = coco.dump(Dataset(NAMES, [], [Item("a.png", points, 64, 48)]))
    ann = doc["annotations"][0]
    assert ann["keypoints"] == [1.0, 2.0, 2, 3.0, 4.0, 1, 0, 0, 0, 5.0, 6.0, 2]
    assert ann["num_keypoints"] == 3 and ann["bbox"] == [1.0, 2.0, 4.0, 4.0]


def test_a_file_with_several_keypoint_categories_needs_a_choice() -> None:
    doc = coco_doc([])
    doc["categories"].append({"id": 2, "name": "rat", "keypoints": ["a"], "skeleton": []})
    with pytest.raises(BadInput, match=r"pick one"):
        coco.parse("x.json", doc)
    assert coco.parse("x.json", doc, "rat").keypoint_names == ["a"]


def test_rejects_a_skeleton_index_outside_the_keypoints() -> None:
    doc = coco_doc([])
    doc["categories"][0]["skeleton"] = [[0, 1]]
    with pytest.raises(BadInput, match=r"skeleton edge \[0, 1\] is outside 1..4"):
        coco.parse("x.json", doc)


def test_rejects_a_wrong_number_of_keypoint_values_naming_the_annotation() -> None:
    doc = coco_doc([{"file": "a.png", "w": 64, "h": 48, "kps": KPS[:3]}])
    with pytest.raises(BadInput, match=r"annotation 1: expected 12 keypoint numbers"):
        coco.parse("x.json", doc)


def test_rejects_malformed_json(tmp_path: Path) -> None:
    write_tree(tmp_path, {"annotations.json": b'{"images": [', "a.png": image_bytes(1)})
    with Bundle() as bundle, pytest.raises(BadInput, match=r"annotations.json: not valid JSON"):
        bundle.add_path(tmp_path)
        coco.read(bundle)


# --- import -----------------------------------------------------------------------------


def test_import_creates_the_schema_and_saves_annotations_with_revisions(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    user = make_user(db)
    report = run_import(db, store, Format.coco, two_images(tmp_path), user=user, name="mice")
    project = db.get_one(Project, report.project_id)
    assert project.keypoint_names == NAMES
    assert project.keypoint_schema["skeleton"] == [
        ["nose", "left_ear"],
        ["nose", "right_ear"],
        ["nose", "tail"],
    ]
    assert (report.images_created, report.annotations_saved) == (2, 1)
    labels = labels_of(db, project.id)
    assert labels == {
        "a.png": [
            ("visible", 10.0, 12.5),
            ("occluded", 20.0, 22.0),
            ("unlabeled", None, None),
            ("visible", 63.0, 47.0),
        ]
    }
    image = db.scalars(select(Image).where(Image.original_name == "a.png")).one()
    assert (image.state, image.labeled_count) == ("done", 3)
    revision = db.scalars(select(AnnotationRevision).where(AnnotationRevision.image_id == image.id))
    assert [(r.version, r.author_id) for r in revision] == [(1, user.id)]


def test_import_maps_keypoints_onto_an_existing_schema_by_name(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    schema = KeypointSchema.model_validate({"keypoints": [{"name": n} for n in reversed(NAMES)]})
    project = create_project(db, ProjectCreate(name="existing", keypoint_schema=schema))
    run_import(db, store, Format.coco, two_images(tmp_path), user=make_user(db), project=project)
    assert labels_of(db, project.id)["a.png"][0] == ("visible", 63.0, 47.0)  # tail comes first


def test_import_names_a_keypoint_missing_from_the_schema_and_stores_nothing(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    schema = KeypointSchema.model_validate({"keypoints": [{"name": "nose"}, {"name": "tail"}]})
    project = create_project(db, ProjectCreate(name="small", keypoint_schema=schema))
    before = stored_counts(db)
    with pytest.raises(BadInput, match=r"keypoint 'left_ear' is not in project 'small'"):
        run_import(
            db, store, Format.coco, two_images(tmp_path), user=make_user(db), project=project
        )
    assert stored_counts(db) == before and blob_files(store.root) == []


def test_a_missing_image_fails_the_whole_import_and_removes_written_blobs(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    root = two_images(tmp_path)
    (root / "images" / "b.png").unlink()
    user = make_user(db)
    before = stored_counts(db)
    with pytest.raises(BadInput, match=r"annotations.json: image 'b.png': image 'b.png' is not"):
        run_import(db, store, Format.coco, root, user=user, name="mice")
    db.rollback()  # what the request or CLI does with the failed unit of work
    assert stored_counts(db)[1:] == before[1:]
    assert blob_files(store.root) == []  # a.png had been written before b.png was missed


def test_rejects_coordinates_outside_the_image_naming_file_and_keypoint(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    kps = [(10.0, 12.0, 2), (70.0, 5.0, 2), (0, 0, 0), (1.0, 1.0, 2)]
    root = two_images(tmp_path, [{"file": "a.png", "w": 64, "h": 48, "kps": kps}])
    with pytest.raises(
        BadInput,
        match=r"annotation 1 \(image 'a.png'\): keypoint left_ear at "
        r"\(70.0, 5.0\) is outside the 64x48 image",
    ):
        run_import(db, store, Format.coco, root, user=make_user(db), name="mice")
    assert blob_files(store.root) == []


def test_rejects_an_image_whose_size_differs_from_the_file(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    root = two_images(tmp_path, [{"file": "a.png", "w": 640, "h": 480, "kps": KPS}])
    with pytest.raises(BadInput, match=r"the file says 640x480 but the image is 64x48"):
        run_import(db, store, Format.coco, root, user=make_user(db), name="mice")


def test_rejects_a_zip_entry_that_points_outside_the_archive(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    doc = coco_doc([{"file": "a.png", "w": 64, "h": 48, "kps": KPS}])
    archive = tmp_path / "upload.zip"
    archive.write_bytes(
        zip_of({"annotations.json": json.dumps(doc).encode(), "../../a.png": image_bytes(1)})
    )
    before = stored_counts(db)
    with pytest.raises(BadInput, match=r"entry '../../a.png' points outside the archive"):
        run_import(db, store, Format.coco, archive, user=make_user(db), name="mice")
    assert stored_counts(db)[0] == before[0] and blob_files(store.root) == []


def test_duplicates_are_reported_and_annotated_only_when_they_had_no_annotation(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    user = make_user(db)
    first = run_import(db, store, Format.coco, two_images(tmp_path / "1"), user=user, name="m")
    project = db.get_one(Project, first.project_id)
    # The same two images again, now both annotated: b.png had no annotation, a.png had one.
    kps2 = [(1.0, 1.0, 2)] * 4
    again = two_images(
        tmp_path / "2",
        [
            {"file": "a2.png", "w": 64, "h": 48, "kps": kps2},
            {"file": "b2.png", "w": 64, "h": 48, "kps": kps2},
        ],
    )
    report = run_import(db, store, Format.coco, again, user=user, project=project)
    assert report.images_created == 0
    assert [(d.filename, d.annotation) for d in report.duplicates] == [
        ("a2.png", "kept existing"),
        ("b2.png", "applied"),
    ]
    labels = labels_of(db, project.id)
    assert labels["a.png"][0] == ("visible", 10.0, 12.5)
    assert labels["b.png"][0] == ("visible", 1.0, 1.0)


# --- export and round trips -------------------------------------------------------------


def test_round_trip_of_generated_files_and_pycocotools_reads_the_export(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    user = make_user(db)
    first = run_import(db, store, Format.coco, two_images(tmp_path / "in"), user=user, name="a")
    out = export_to(db, store, first.project_id, Format.coco, tmp_path / "out")
    api = COCO(str(out / "annotations.json"))
    assert api.getCatIds() == [1] and len(api.getImgIds()) == 2
    (ann,) = api.loadAnns(api.getAnnIds())
    assert ann["keypoints"][:6] == [10.0, 12.5, 2, 20.0, 22.0, 1]
    second = run_import(db, store, Format.coco, out, user=user, name="b")
    assert_same_labels(labels_of(db, first.project_id), labels_of(db, second.project_id))


def test_export_filters_by_state_split_and_image_ids(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    report = run_import(db, store, Format.coco, two_images(tmp_path), user=make_user(db), name="f")
    project = db.get_one(Project, report.project_id)

    def names(where: ExportFilter) -> list[str]:
        document = coco_document(db, project, where, predictions=False)
        return [i["file_name"] for i in document["images"]]

    ids = {i.original_name: i.id for i in db.scalars(select(Image))}
    assert names(ExportFilter()) == ["a.png", "b.png"]
    assert names(ExportFilter(state=ImageState.done)) == ["a.png"]
    assert names(ExportFilter(state=ImageState.new)) == ["b.png"]
    assert names(ExportFilter(image_ids=[ids["b.png"]])) == ["b.png"]
    split = db.get_one(Image, ids["a.png"]).split
    assert "a.png" in names(ExportFilter(split=split))


def test_exports_predictions_with_per_keypoint_scores(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    report = run_import(db, store, Format.coco, two_images(tmp_path), user=make_user(db), name="p")
    project = db.get_one(Project, report.project_id)
    model = ModelVersion(
        project_id=project.id,
        backbone="b",
        config={},
        metrics={},
        labeled_count=1,
        unlabeled_count=0,
        labels_snapshot={},
        path="m",
        is_active=True,
    )
    db.add(model)
    db.flush()
    image = db.scalars(select(Image).where(Image.original_name == "b.png")).one()
    points = [
        {"x": 5.0 + i, "y": 6.0, "confidence": 0.5 + i / 10, "uncertainty": 0.1} for i in range(4)
    ]
    db.add(Prediction(image_id=image.id, model_version_id=model.id, keypoints=points, score=0.7))
    db.flush()
    doc = coco_document(db, project, ExportFilter(), predictions=True)
    (ann,) = doc["annotations"]
    assert ann["keypoint_scores"] == [0.5, 0.6, 0.7, 0.8] and ann["score"] == 0.7
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(doc))
    assert COCO(str(path)).loadAnns(1)[0]["keypoints"][:3] == [5.0, 6.0, 2]


@pytest.mark.parametrize("category", REAL_CATEGORIES)
def test_round_trip_of_the_real_animal_datasets(
    db: Session, store: LocalBlobStore, tmp_path: Path, category: str
) -> None:
    source = shared("coco_animal_samples")
    user = make_user(db)
    first = run_import(db, store, Format.coco, source, user=user, label=category, name="a")
    original = labels_of(db, first.project_id)
    assert original and all(name.startswith(f"{category}__") for name in original)
    out = export_to(db, store, first.project_id, Format.coco, tmp_path / "out")
    COCO(str(out / "annotations.json"))
    second = run_import(db, store, Format.coco, out, user=user, name="b")
    assert_same_labels(original, labels_of(db, second.project_id))
