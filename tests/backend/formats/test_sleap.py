"""SLEAP .slp through sleap-io: import from embedded frames or image files next to the file,
export as a labels package with embedded frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sleap_io as sio  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.formats import sleap
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.formats.helpers import (
    assert_same_labels,
    blob_files,
    bundle_of,
    export_to,
    image_bytes,
    labels_of,
    make_user,
    run_import,
    shared,
    stored_counts,
    write_tree,
)

Frame = list[tuple[float, float, bool] | None]  # per node: (x, y, visible) or None


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def make_slp(
    path: Path,
    images: list[Path],
    names: list[str],
    frames: list[Frame],
    *,
    edges: list[tuple[str, str]] | None = None,
    embed: bool = False,
    predicted_only: set[int] | None = None,
) -> Path:
    skeleton = sio.Skeleton(names, edges=edges or [], name="mouse")
    video = sio.Video.from_filename([str(p) for p in images])
    labeled = []
    for i, frame in enumerate(frames):
        xy = np.array([[p[0], p[1]] if p else [np.nan, np.nan] for p in frame], dtype=float)
        if predicted_only and i in predicted_only:
            inst = sio.PredictedInstance.from_numpy(xy, skeleton=skeleton, score=0.9)
        else:
            inst = sio.Instance.from_numpy(xy, skeleton=skeleton)
            inst.points["visible"] = [bool(p and p[2]) for p in frame]
        labeled.append(sio.LabeledFrame(video=video, frame_idx=i, instances=[inst]))
    labels = sio.Labels(labeled_frames=labeled, videos=[video], skeletons=[skeleton])
    sio.save_slp(labels, str(path), embed="user" if embed else False)
    return path


FRAMES: list[Frame] = [[(10.0, 20.0, True), None], [(5.5, 6.5, True), (30.0, 40.0, False)]]


def generated(root: Path, *, embed: bool) -> Path:
    images = [root / "frames" / f"f{i}.png" for i in range(2)]
    write_tree(root, {f"frames/f{i}.png": image_bytes(20 + i) for i in range(2)})
    out = root / "out"
    out.mkdir()
    make_slp(
        out / "labels.slp", images, ["nose", "tail"], FRAMES, edges=[("nose", "tail")], embed=embed
    )
    if embed:  # the package must not need the frame files
        for image in images:
            image.unlink()
    else:  # image files next to the .slp, as a user would upload them
        for image in images:
            image.rename(out / image.name)
    return out


EXPECTED = {
    "nose": [("visible", 10.0, 20.0), ("visible", 5.5, 6.5)],
    "tail": [("unlabeled", None, None), ("occluded", 30.0, 40.0)],
}


@pytest.mark.parametrize("embed", [True, False], ids=["embedded-frames", "image-files"])
def test_imports_the_first_instance_of_each_frame(
    db: Session, store: LocalBlobStore, tmp_path: Path, embed: bool
) -> None:
    source = generated(tmp_path, embed=embed)
    report = run_import(db, store, Format.sleap, source, user=make_user(db), name="s")
    labels = labels_of(db, report.project_id)
    names = ["f0.png", "f1.png"]  # embedded frames keep the names of the files they came from
    assert sorted(labels) == names
    assert [labels[n][0] for n in names] == EXPECTED["nose"]
    assert [labels[n][1] for n in names] == EXPECTED["tail"]


def test_frames_with_only_predicted_instances_are_skipped_and_noted(tmp_path: Path) -> None:
    images = [tmp_path / "a.png", tmp_path / "b.png"]
    write_tree(tmp_path, {"a.png": image_bytes(1), "b.png": image_bytes(2)})
    make_slp(tmp_path / "l.slp", images, ["nose", "tail"], FRAMES, predicted_only={1})
    with bundle_of(tmp_path) as bundle:
        dataset = sleap.read(bundle, tmp_path)
    assert [i.file_name.rsplit("/", 1)[-1] for i in dataset.items] == ["a.png"]
    assert dataset.notes == ["l.slp: 1 frames with only predictions skipped"]


def test_rejects_a_file_that_is_not_slp(db: Session, store: LocalBlobStore, tmp_path: Path) -> None:
    write_tree(tmp_path, {"labels.slp": b"not hdf5 at all", "a.png": image_bytes(1)})
    before = stored_counts(db)
    with pytest.raises(BadInput, match=r"labels.slp: not a readable SLEAP file"):
        run_import(db, store, Format.sleap, tmp_path, user=make_user(db), name="s")
    assert stored_counts(db)[0] == before[0]


def test_a_missing_image_file_stores_nothing(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    source = generated(tmp_path, embed=False)
    (source / "f1.png").unlink()
    before = stored_counts(db)
    with pytest.raises(BadInput, match=r"labeled frame 1 \(frame 1\): image '.*f1.png' is not"):
        run_import(db, store, Format.sleap, source, user=make_user(db), name="s")
    db.rollback()
    assert stored_counts(db)[1:] == before[1:] and blob_files(store.root) == []


def test_real_animal_frames_read_from_slp_match_their_coco_import(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    source = shared("coco_animal_samples")
    doc = json.loads((source / "annotations.json").read_text())
    (cat,) = [c for c in doc["categories"] if c["name"] == "ap10k"]
    images = {i["id"]: i for i in doc["images"]}
    anns = [a for a in doc["annotations"] if a["category_id"] == cat["id"]]
    frames: list[Frame] = []
    for ann in anns:
        k = ann["keypoints"]
        frames.append([(k[i], k[i + 1], True) if k[i + 2] else None for i in range(0, len(k), 3)])
    paths = [source / "images" / images[a["image_id"]]["file_name"] for a in anns]
    slp = tmp_path / "ap10k.slp"
    make_slp(slp, paths, cat["keypoints"], frames, embed=True)
    user = make_user(db)
    from_coco = run_import(db, store, Format.coco, source, user=user, label="ap10k", name="c")
    from_slp = run_import(db, store, Format.sleap, slp, user=user, project=None, name="s")
    assert_same_labels(labels_of(db, from_coco.project_id), labels_of(db, from_slp.project_id))


def test_round_trip_through_a_labels_package(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    user = make_user(db)
    first = run_import(
        db, store, Format.sleap, generated(tmp_path, embed=False), user=user, name="s1"
    )
    out = export_to(db, store, first.project_id, Format.sleap, tmp_path / "export")
    assert [p.name for p in out.iterdir()] == ["labels.pkg.slp"]
    second = run_import(db, store, Format.sleap, out, user=user, name="s2")
    assert_same_labels(labels_of(db, first.project_id), labels_of(db, second.project_id))


def test_round_trip_of_real_animal_data_through_sleap(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    source = shared("coco_animal_samples")
    user = make_user(db)
    # AP-10K: visible and unlabeled points; Animal Kingdom: occluded ones.
    for label in ("ap10k", "ak"):
        first = run_import(db, store, Format.coco, source, user=user, label=label, name=label)
        out = export_to(db, store, first.project_id, Format.sleap, tmp_path / label)
        second = run_import(db, store, Format.sleap, out, user=user, name=f"{label}-again")
        assert_same_labels(labels_of(db, first.project_id), labels_of(db, second.project_id))
