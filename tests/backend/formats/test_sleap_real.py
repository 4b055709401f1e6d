"""The .slp files SLEAP and sleap-io users really have (../shared/data/formats/sleap_io_js):
every labels package imports, however SLEAP or sleap-io wrote it; every other file imports
when its video is uploaded beside it, or is refused in one line naming the file and why."""

from __future__ import annotations

from pathlib import Path

import pytest
import sleap_io as sio  # type: ignore[import-untyped]
from PIL import Image as PILImage
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.models import Image
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.formats.helpers import (
    assert_same_labels,
    export_to,
    labels_of,
    make_user,
    run_import,
    shared,
    stored_counts,
)

VIDEO = ("sleap_io_js", "videos", "centered_pair_low_quality.mp4")


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def slp(name: str) -> Path:
    return shared("sleap_io_js", "slp", name)


def first_user_instance(path: Path) -> list[tuple[str, float | None, float | None]]:
    """What sleap-io itself reads as the first frame's first user instance."""
    labels = sio.load_slp(str(path), open_videos=False)
    inst = labels.labeled_frames[0].user_instances[0]
    return [
        ("visible" if v else "occluded", float(x), float(y))
        for (x, y), v in zip(inst.points["xy"], inst.points["visible"], strict=True)
    ]


def image_sizes(db: Session, project_id: int) -> list[tuple[int, int]]:
    rows = db.execute(select(Image.width, Image.height).where(Image.project_id == project_id))
    return [(w, h) for w, h in rows]


def test_imports_a_labels_package_written_by_sleap_1_2(db: Session, store: LocalBlobStore) -> None:
    path = slp("minimal_instance.pkg.slp")
    report = run_import(db, store, Format.sleap, path, user=make_user(db), name="pkg")
    assert (report.images_created, report.annotations_saved) == (1, 1)
    assert report.notes == [
        "minimal_instance.pkg.slp: 1 further instances skipped (one animal per image)"
    ]
    labels = labels_of(db, report.project_id)
    assert labels == {"centered_pair_low_quality_000000.png": first_user_instance(path)}
    assert image_sizes(db, report.project_id) == [(384, 384)]


def test_imports_a_cropped_package_as_the_crop_sleap_shows(
    db: Session, store: LocalBlobStore, blob_dir: Path
) -> None:
    path = slp("cropped_format_2_3.pkg.slp")
    report = run_import(db, store, Format.sleap, path, user=make_user(db), name="crop")
    assert (report.images_created, report.annotations_saved) == (1, 1)
    # The crop is (64, 96)-(320, 288): 256x192; coordinates are the crop's, as in SLEAP.
    assert image_sizes(db, report.project_id) == [(256, 192)]
    (points,) = labels_of(db, report.project_id).values()
    a, b = first_user_instance(path)
    assert a[2] is not None and a[2] > 192, "A lies below the crop in this file"
    assert points == [("unlabeled", None, None), b]
    assert "1 points outside the video's crop imported as unlabeled" in report.notes[-1]
    checksum = db.scalar(select(Image.checksum).where(Image.project_id == report.project_id))
    assert checksum is not None
    with PILImage.open(store.path_for(checksum)) as frame:
        assert frame.size == (256, 192)


@pytest.mark.parametrize(
    ("name", "video"),
    [
        ("minimal_instance.slp", "tests/data/json_format_v1/centered_pair_low_quality.mp4"),
        (
            "labels.v002.slp",
            "/Users/talmo/sleap-io/tests/data/videos/centered_pair_low_quality.mp4",
        ),
        ("labels.v002.rel_paths.slp", "tests/data/videos/centered_pair_low_quality.mp4"),
        ("clip.2node.slp", "tests/data/tracks/clip.mp4"),
        (
            "multiview.slp",
            "D:/social-leap-estimates-animal-poses/source/sleap/tests/data/videos/min_session_topL.mp4",
        ),
    ],
)
def test_a_video_backed_file_without_its_video_is_refused_in_one_line(
    db: Session, store: LocalBlobStore, name: str, video: str
) -> None:
    before = stored_counts(db)
    base = video.rsplit("/", 1)[-1]
    with pytest.raises(BadInput) as refused:
        run_import(db, store, Format.sleap, slp(name), user=make_user(db), name="v")
    assert refused.value.detail.startswith(
        f"{name}: frames come from the video '{base}' ({video}), which is not in the upload"
    )
    assert "\n" not in refused.value.detail
    db.rollback()
    assert stored_counts(db)[1:] == before[1:]


@pytest.mark.parametrize("name", ["minimal_instance.slp", "labels.v002.rel_paths.slp"])
@pytest.mark.slow
def test_a_video_backed_file_imports_with_its_video_uploaded_beside_it(
    db: Session, store: LocalBlobStore, name: str
) -> None:
    path = slp(name)
    report = run_import(db, store, Format.sleap, path, shared(*VIDEO), user=make_user(db), name="v")
    labels = sio.load_slp(str(path), open_videos=False)
    frames = [lf for lf in labels.labeled_frames if lf.user_instances]
    assert report.images_created == report.annotations_saved == len(frames)
    stored = labels_of(db, report.project_id)
    for lf in frames:
        inst = lf.user_instances[0]
        expected = [
            ("visible" if v else "occluded", float(x), float(y))
            for (x, y), v in zip(inst.points["xy"], inst.points["visible"], strict=True)
        ]
        assert stored[f"centered_pair_low_quality_{lf.frame_idx:06d}.png"] == expected
    assert set(image_sizes(db, report.project_id)) == {(384, 384)}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("imgvideo.slp", "imgvideo.slp: the file holds no skeleton and 0 labeled frames"),
        (
            "centered_pair_predictions.slp",
            "centered_pair_predictions.slp: its 1100 labeled frames hold only predicted "
            "instances, no user labels; nothing to import",
        ),
    ],
)
def test_a_file_with_nothing_to_import_is_refused_saying_why(
    db: Session, store: LocalBlobStore, name: str, reason: str
) -> None:
    with pytest.raises(BadInput) as refused:
        run_import(db, store, Format.sleap, slp(name), shared(*VIDEO), user=make_user(db), name="n")
    assert refused.value.detail.startswith(reason)


@pytest.mark.parametrize("name", ["minimal_instance.pkg.slp", "cropped_format_2_3.pkg.slp"])
def test_round_trip_of_real_packages_keeps_coordinates_exactly(
    db: Session, store: LocalBlobStore, tmp_path: Path, name: str
) -> None:
    user = make_user(db)
    first = run_import(db, store, Format.sleap, slp(name), user=user, name="first")
    out = export_to(db, store, first.project_id, Format.sleap, tmp_path / "out")
    exported = sio.load_slp(str(out / "labels.pkg.slp"))
    (frame,) = exported.labeled_frames
    assert frame.image.shape[:2] == tuple(reversed(image_sizes(db, first.project_id)[0]))
    second = run_import(db, store, Format.sleap, out, user=user, name="second")
    original, again = labels_of(db, first.project_id), labels_of(db, second.project_id)
    assert_same_labels(original, again)
    assert list(original.values()) == list(again.values()), "exact, not approximately"
