"""CVAT for images 1.1 XML with skeletons, both ways (CVAT for video: test_cvat_video.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.formats import cvat
from backend.formats.common import Dataset, Item, Keypoint
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.formats.helpers import (
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
)

XML = b"""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><labels>
    <label><name>mouse</name><type>skeleton</type><attributes/>
      <svg>&lt;line data-type="edge" data-node-from="1" data-node-to="2"&gt;&lt;/line&gt;
&lt;circle data-type="element node" data-node-id="1" data-label-name="nose"&gt;&lt;/circle&gt;
&lt;circle data-type="element node" data-node-id="2" data-label-name="tail"&gt;&lt;/circle&gt;</svg>
    </label>
    <label><name>nose</name><type>points</type><parent>mouse</parent></label>
    <label><name>tail</name><type>points</type><parent>mouse</parent></label>
  </labels></task></meta>
  <image id="0" name="frames/a.png" width="64" height="48">
    <skeleton label="mouse" source="manual" z_order="0">
      <points label="nose" outside="0" occluded="1" points="10.50,20.00"/>
      <points label="tail" outside="1" occluded="0" points="3.00,4.00"/>
    </skeleton>
  </image>
  <image id="1" name="frames/b.png" width="64" height="48"/>
</annotations>
"""


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def cvat_dir(root: Path, xml: bytes = XML) -> Path:
    files = {"annotations.xml": xml, "images/frames/a.png": image_bytes(1)}
    return write_tree(root, files | {"images/frames/b.png": image_bytes(2)})


def test_reads_skeleton_points_with_occluded_and_outside_flags() -> None:
    dataset = cvat.parse("annotations.xml", XML)
    assert dataset.name == "mouse" and dataset.keypoint_names == ["nose", "tail"]
    assert dataset.skeleton == [("nose", "tail")]
    a, b = dataset.items
    assert (a.file_name, a.width, a.height) == ("frames/a.png", 64, 48)
    assert [(p.visibility, p.x, p.y) for p in a.points or []] == [
        ("occluded", 10.5, 20.0),
        ("unlabeled", None, None),
    ]
    assert b.points is None


def test_writes_what_it_reads() -> None:
    points = [Keypoint(1.25, 2.0, "visible"), Keypoint(None, None, "unlabeled")]
    item = Item("a.png", points, 64, 48)
    dataset = Dataset(["nose", "tail"], [("nose", "tail")], [item], name="mouse")
    again = cvat.parse("x.xml", cvat.dump(dataset))
    assert again.skeleton == dataset.skeleton and again.keypoint_names == dataset.keypoint_names
    assert again.items[0].points == points


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"<annotations><image", "annotations.xml: malformed XML"),
        (b'<!DOCTYPE a [<!ENTITY x "y">]><annotations/>', "DTDs and entities are not allowed"),
        (
            XML.replace(b'label="tail" outside', b'label="paw" outside'),
            "<image name='frames/a.png'>: point label 'paw' is not in skeleton 'mouse'",
        ),
        (
            XML.replace(b'points="10.50,20.00"', b'points="ten,20"'),
            "<image name='frames/a.png'>, point nose: 'ten' is not a number",
        ),
        (
            XML.replace(b"<type>skeleton</type>", b"<type>points</type>"),
            "expected one skeleton label in <meta>, found",
        ),
    ],
    ids=["truncated", "entities", "unknown-point", "bad-number", "no-skeleton"],
)
def test_rejects_malformed_files_naming_the_element(xml: bytes, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        cvat.parse("annotations.xml", xml)


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]><annotations>&lol9;</annotations>"
)


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS.encode(),
        BILLION_LAUGHS.replace('"1.0"?>', '"1.0" encoding="UTF-16"?>').encode("utf-16"),
        BILLION_LAUGHS.replace('"1.0"?>', '"1.0" encoding="UTF-16BE"?>').encode("utf-16-be"),
        '<!DOCTYPE a SYSTEM "file:///etc/passwd"><annotations/>'.encode("utf-16"),
    ],
    ids=["billion-laughs", "utf16-billion-laughs", "utf16be-no-bom", "utf16-external"],
)
def test_rejects_dtds_and_entities_in_any_encoding(data: bytes) -> None:
    with pytest.raises(BadInput, match=r"annotations\.xml: DTDs and entities are not allowed"):
        cvat.parse("annotations.xml", data)


def test_reads_a_utf16_file_without_dtd() -> None:
    text = XML.decode().replace('encoding="utf-8"', 'encoding="UTF-16"')
    dataset = cvat.parse("annotations.xml", text.encode("utf-16"))
    assert dataset.keypoint_names == ["nose", "tail"]
    assert [(p.visibility, p.x, p.y) for p in dataset.items[0].points or []] == [
        ("occluded", 10.5, 20.0),
        ("unlabeled", None, None),
    ]


def test_imports_a_utf16_file_through_the_import(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    text = XML.decode().replace('encoding="utf-8"', 'encoding="UTF-16"')
    report = run_import(
        db,
        store,
        Format.cvat,
        cvat_dir(tmp_path, text.encode("utf-16")),
        user=make_user(db),
        name="u16",
    )
    assert report.images_created == 2 and report.annotations_saved == 1


def test_refuses_a_utf16_dtd_through_the_import_storing_nothing(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    data = BILLION_LAUGHS.replace('"1.0"?>', '"1.0" encoding="UTF-16"?>').encode("utf-16")
    before = stored_counts(db)
    with pytest.raises(BadInput, match=r"annotations\.xml: DTDs and entities are not allowed"):
        run_import(db, store, Format.cvat, cvat_dir(tmp_path, data), user=make_user(db), name="x")
    db.rollback()
    assert stored_counts(db)[1:] == before[1:] and blob_files(store.root) == []


def test_a_cvat_file_without_images_imports_with_a_note(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    xml = XML.split(b"  <image ")[0] + b"</annotations>\n"
    root = write_tree(tmp_path, {"annotations.xml": xml})
    report = run_import(db, store, Format.cvat, root, user=make_user(db), name="schema-only")
    assert report.images_created == 0
    assert report.notes == [
        "annotations.xml: the file lists no images; "
        "only the project and its keypoint schema were created"
    ]


def test_import_with_a_missing_image_stores_nothing(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    root = cvat_dir(tmp_path)
    (root / "images/frames/b.png").unlink()
    before = stored_counts(db)
    with pytest.raises(BadInput, match=r"<image name='frames/b.png'>: image 'frames/b.png' is not"):
        run_import(db, store, Format.cvat, root, user=make_user(db), name="c")
    db.rollback()
    assert stored_counts(db)[1:] == before[1:] and blob_files(store.root) == []


def test_round_trip_of_generated_files(db: Session, store: LocalBlobStore, tmp_path: Path) -> None:
    user = make_user(db)
    first = run_import(db, store, Format.cvat, cvat_dir(tmp_path / "in"), user=user, name="c")
    assert labels_of(db, first.project_id) == {  # images keep their folders in their names
        "frames/a.png": [("occluded", 10.5, 20.0), ("unlabeled", None, None)]
    }
    out = export_to(db, store, first.project_id, Format.cvat, tmp_path / "out")
    assert (out / "images/frames/a.png").is_file() and (out / "images/frames/b.png").is_file()
    second = run_import(db, store, Format.cvat, out, user=user, name="c2")
    assert_same_labels(labels_of(db, first.project_id), labels_of(db, second.project_id))


def test_round_trip_of_real_animal_data_through_cvat(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    source = shared("coco_animal_samples")
    user = make_user(db)
    # Animal Kingdom: occluded (v=1) and unlabeled points, and a name with a trailing space.
    first = run_import(db, store, Format.coco, source, user=user, label="ak", name="ak")
    original = labels_of(db, first.project_id)
    assert {v for pts in original.values() for v, _, _ in pts} == {"occluded", "unlabeled"}
    out = export_to(db, store, first.project_id, Format.cvat, tmp_path / "out")
    second = run_import(db, store, Format.cvat, out, user=user, name="ak2")
    assert_same_labels(original, labels_of(db, second.project_id))


def test_import_maps_onto_a_project_made_from_coco(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    doc = coco_doc([], names=["tail", "nose"])
    user = make_user(db)
    made = run_import(
        db,
        store,
        Format.coco,
        write_tree(tmp_path / "c", {"a.json": json.dumps(doc).encode()}),
        user=user,
        name="schema",
    )
    from backend.models import Project

    project = db.get_one(Project, made.project_id)
    run_import(db, store, Format.cvat, cvat_dir(tmp_path / "x"), user=user, project=project)
    assert labels_of(db, project.id)["frames/a.png"] == [
        ("unlabeled", None, None),
        ("occluded", 10.5, 20.0),
    ]
