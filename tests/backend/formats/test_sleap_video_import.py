"""A video-backed SLEAP file imported with its video beside it: the import attaches the video to
the project and links each frame read from it, as its `frame_idx`, where Keyloop decodes the
same pixels at that index."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sleap_io as sio  # type: ignore[import-untyped]
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import BadInput
from backend.formats import sleap
from backend.models import Image, Project, Video
from backend.services.storage import LocalBlobStore, sha256_hex
from backend.services.transfer import Format
from tests.backend.formats.helpers import (
    MAX_BYTES,
    MAX_PIXELS,
    blob_files,
    bundle_of,
    image_bytes,
    import_by_job,
    links,
    make_user,
    run_import,
    shared,
    spy_on_adopt,
    staged_leftovers,
    stored_counts,
    video_rows,
    write_tree,
)
from tests.backend.formats.test_sleap import FRAMES, make_slp
from tests.video_support import shared_video, write_video

FPS = 25.0  # write_video's
NAMES = ["nose", "tail"]


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def points_of(frame_idx: int) -> list[tuple[float, float]]:
    """Distinct labels per frame, inside a 64x48 frame."""
    return [(10.0 + frame_idx, 20.5), (30.25, 40.0 - frame_idx)]


def video_slp(
    path: Path,
    video: Path,
    frame_indices: list[int],
    points: dict[int, list[tuple[float, float]]] | None = None,
    *,
    embed: bool | str = False,
) -> Path:
    """A `.slp` whose user instances are on frames of the media file `video` (sleap-io keeps
    the path it is given; the importer finds the video in the upload by its base name);
    `embed="user"`: a package holding those frames as images instead."""
    skeleton = sio.Skeleton(NAMES, edges=[("nose", "tail")], name="mouse")
    media = sio.Video.from_filename(str(video))
    frames = []
    for index in frame_indices:
        xy = np.array((points or {}).get(index, points_of(index)), dtype=float)
        instance = sio.Instance.from_numpy(xy, skeleton=skeleton)
        frames.append(sio.LabeledFrame(video=media, frame_idx=index, instances=[instance]))
    labels = sio.Labels(labeled_frames=frames, videos=[media], skeletons=[skeleton])
    sio.save_slp(labels, str(path), embed=embed)
    return path


def upload_folder(root: Path, frame_indices: list[int], frames: int = 40) -> Path:
    """`labels.slp` beside `arena.mp4`, as a SLEAP user uploads them."""
    root.mkdir(parents=True, exist_ok=True)
    video = write_video(root / "arena.mp4", frames=frames)
    video_slp(root / "labels.slp", video, frame_indices)
    return root


@pytest.fixture
def plugin() -> Iterator[None]:
    """sleap-io's video plugin back to its own choice after a test that set one."""
    yield
    sio.set_default_video_plugin(None)


def test_an_imported_slps_video_is_attached_its_frames_linked_and_exported_back(
    live_admin: TestClient, tmp_path: Path
) -> None:
    folder = upload_folder(tmp_path / "up", [3, 12, 25])
    files = [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())]
    job = import_by_job(live_admin, "sleap", files)
    assert job["progress"]["report"]["notes"] == []
    project_id = job["project_id"]

    (listed,) = live_admin.get(f"/api/v1/projects/{project_id}/videos").json()
    assert (listed["original_name"], listed["frame_count"]) == ("arena.mp4", 40)
    assert (listed["frame_images"], listed["frames_labeled"]) == (3, 3)
    images = live_admin.get(f"/api/v1/projects/{project_id}/images").json()["items"]
    assert sorted((i["original_name"], i["video_id"], i["frame_index"]) for i in images) == [
        ("arena_000003.png", listed["id"], 3),
        ("arena_000012.png", listed["id"], 12),
        ("arena_000025.png", listed["id"], 25),
    ]
    assert sorted(i["frame_time"] for i in images) == [
        pytest.approx(3 / FPS),
        pytest.approx(12 / FPS),
        pytest.approx(25 / FPS),
    ]

    export = live_admin.get(
        f"/api/v1/projects/{project_id}/export/sleap", params={"sleap_video": "video"}
    )
    assert export.status_code == 200, export.text
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    assert sorted(archive.namelist()) == ["arena.mp4", "labels.slp"]
    assert archive.read("arena.mp4") == (folder / "arena.mp4").read_bytes()
    out = tmp_path / "export"
    archive.extractall(out)
    labels = sio.load_slp(str(out / "labels.slp"), open_videos=False)
    back = {
        (str(lf.video.filename), lf.frame_idx): lf.instances[0].numpy().tolist()
        for lf in labels.labeled_frames
    }
    assert back == {("arena.mp4", i): [list(p) for p in points_of(i)] for i in (3, 12, 25)}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "indices"),
    [("minimal_instance.slp", [0]), ("labels.v002.slp", [0, 220, 440, 770, 990])],
)
def test_real_slp_frames_are_linked_to_the_real_video_uploaded_beside_them(
    db: Session, store: LocalBlobStore, name: str, indices: list[int]
) -> None:
    """sleap-io and Keyloop decode the same pixels at every index of this video (measured in
    `backend/formats/sleap_frames.py`), so every labeled frame is linked."""
    video = shared("sleap_io_js", "videos", "centered_pair_low_quality.mp4")
    path = shared("sleap_io_js", "slp", name)
    report = run_import(db, store, Format.sleap, path, video, user=make_user(db), name="flies")
    assert not [n for n in report.notes if "centered_pair_low_quality.mp4" in n]
    expected = {
        f"centered_pair_low_quality_{i:06d}.png": ("centered_pair_low_quality.mp4", i)
        for i in indices
    }
    assert links(db, report.project_id) == expected
    (row,) = db.scalars(select(Video)).all()
    assert (row.fps, row.frame_count, row.width, row.height) == (15.0, 1100, 384, 384)


@pytest.mark.slow
def test_frames_a_sleap_decoder_reads_one_frame_off_stay_plain_images_with_a_note(
    db: Session, store: LocalBlobStore, tmp_path: Path, plugin: None
) -> None:
    """sleap-io's pyav plugin returns this real video's frame i + 1 as frame i (its FFMPEG
    plugin does not): the labels were placed on other pixels than Keyloop's frame i."""
    video = shared_video("small_robot_3_frame.mp4")
    points = {i: [(100.0, 50.0), (200.0, 60.0)] for i in (0, 1)}
    labels = video_slp(tmp_path / "robot.slp", video, [0, 1], points)
    user = make_user(db)
    sio.set_default_video_plugin("pyav")
    off = run_import(db, store, Format.sleap, labels, video, user=user, name="off by one")
    assert off.notes == [
        "robot.slp: 2 of 2 frames are not frames of small_robot_3_frame.mp4 (2 whose pixels "
        "differ from that frame's), imported as plain images"
    ]
    assert set(links(db, off.project_id).values()) == {(None, None)}

    sio.set_default_video_plugin("FFMPEG")
    right = run_import(db, store, Format.sleap, labels, video, user=user, name="in step")
    assert right.notes == []
    assert links(db, right.project_id) == {
        "small_robot_3_frame_000000.png": ("small_robot_3_frame.mp4", 0),
        "small_robot_3_frame_000001.png": ("small_robot_3_frame.mp4", 1),
    }


def test_an_unreadable_video_beside_the_slp_still_fails_the_import_and_stores_nothing(
    db: Session, store: LocalBlobStore, blob_dir: Path, tmp_path: Path
) -> None:
    """The frames' pixels come from the video: without a readable one there is nothing to
    import, as before videos were attached."""
    folder = upload_folder(tmp_path / "up", [3])
    (folder / "arena.mp4").write_bytes(b"these are not the frames you want\n")
    before = stored_counts(db)
    # What `sleap_frames` said before: "not a readable video", or no frames in it.
    with pytest.raises(BadInput, match=r"^arena\.mp4: (not a readable video|the video has no)"):
        run_import(db, store, Format.sleap, folder, user=make_user(db), name="x")
    db.rollback()
    assert stored_counts(db)[1:] == before[1:] and video_rows(db) == 0
    assert blob_files(blob_dir) == [] and staged_leftovers(blob_dir) == []


def test_a_video_over_the_video_limit_is_a_note_and_its_frames_plain_images(
    db: Session, store: LocalBlobStore, blob_dir: Path, tmp_path: Path
) -> None:
    folder = upload_folder(tmp_path / "up", [3, 12])
    size = (folder / "arena.mp4").stat().st_size
    limited = Settings(
        max_image_pixels=MAX_PIXELS, max_upload_bytes=MAX_BYTES, max_video_bytes=size - 1
    )
    report = run_import(
        db, store, Format.sleap, folder, user=make_user(db), name="x", settings=limited
    )
    assert report.notes == [
        f"arena.mp4: larger than the {size - 1}-byte video limit (KEYLOOP_MAX_VIDEO_BYTES); "
        "its frames are imported as plain images"
    ]
    assert (report.images_created, report.annotations_saved) == (2, 2)
    assert set(links(db, report.project_id).values()) == {(None, None)}
    assert video_rows(db) == 0
    assert len(blob_files(blob_dir)) == 2, "the frames' blobs only"
    assert staged_leftovers(blob_dir) == []


@pytest.mark.slow
def test_the_same_video_in_a_later_import_is_reused_and_its_new_frames_linked(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    folder = upload_folder(tmp_path / "up", [3, 12])
    user = make_user(db)
    first = run_import(db, store, Format.sleap, folder, user=user, name="arena")
    project = db.get_one(Project, first.project_id)
    again = run_import(db, store, Format.sleap, folder, user=user, project=project)
    assert (again.images_created, again.notes) == (0, [])
    assert [d.annotation for d in again.duplicates] == ["kept existing", "kept existing"]

    video_slp(folder / "labels.slp", folder / "arena.mp4", [12, 25])  # more frames labeled
    more = run_import(db, store, Format.sleap, folder, user=user, project=project)
    assert (more.images_created, more.notes) == (1, [])
    assert video_rows(db) == 1
    assert links(db, project.id) == {f"arena_{i:06d}.png": ("arena.mp4", i) for i in (3, 12, 25)}


def test_frames_imported_before_without_their_video_are_linked_by_a_later_import(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    """As an import made before Keyloop attached SLEAP videos left them: plain images."""
    folder = upload_folder(tmp_path / "up", [3, 12])
    user = make_user(db)
    first = run_import(db, store, Format.sleap, folder, user=user, name="arena")
    db.execute(update(Image).values(video_id=None, frame_index=None, frame_time=None))
    db.execute(delete(Video))
    assert set(links(db, first.project_id).values()) == {(None, None)}

    project = db.get_one(Project, first.project_id)
    again = run_import(db, store, Format.sleap, folder, user=user, project=project)
    assert (again.images_created, again.notes) == (0, [])
    assert links(db, project.id) == {
        "arena_000003.png": ("arena.mp4", 3),
        "arena_000012.png": ("arena.mp4", 12),
    }


def test_a_frame_the_project_has_as_another_image_stays_unlinked_with_a_note(
    admin: TestClient,
    project: dict[str, object],
    db: Session,
    store: LocalBlobStore,
    tmp_path: Path,
) -> None:
    """Frame 3 extracted in Keyloop first (its own PNG bytes): the .slp's frame 3 is another
    image of the same frame."""
    folder = upload_folder(tmp_path / "up", [3, 12])
    video = folder / "arena.mp4"
    r = admin.post(
        f"/api/v1/projects/{project['id']}/videos",
        files={"file": (video.name, video.read_bytes(), "video/mp4")},
    )
    assert r.status_code == 201, r.text
    extracted = admin.post(f"/api/v1/videos/{r.json()['id']}/frames", json={"frame_indices": [3]})
    assert extracted.status_code == 201, extracted.text

    target = db.get_one(Project, project["id"])
    report = run_import(db, store, Format.sleap, folder, user=make_user(db), project=target)
    assert report.notes == [
        "labels.slp: 1 frame imported unlinked: the project has frame 3 of arena.mp4 as "
        "another image already"
    ]
    assert links(db, target.id) == {
        "arena/img00003.png": ("arena.mp4", 3),
        "arena_000003.png": (None, None),
        "arena_000012.png": ("arena.mp4", 12),
    }
    assert video_rows(db) == 1


def test_a_failure_after_the_video_was_stored_leaves_no_video_row_and_no_blob(
    db: Session,
    store: LocalBlobStore,
    blob_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    adopted = spy_on_adopt(store, monkeypatch)
    folder = upload_folder(tmp_path / "up", [])
    # Frame 12's nose is outside the 64x48 frame: refused when the annotations are saved,
    # after the video was staged, probed, checked against the frames and stored.
    outside = {12: [(500.0, 20.0), (30.0, 40.0)]}
    video_slp(folder / "labels.slp", folder / "arena.mp4", [3, 12], outside)
    before = stored_counts(db)
    with pytest.raises(BadInput, match="outside the 64x48 image"):
        run_import(db, store, Format.sleap, folder, user=make_user(db), name="r")
    video = sha256_hex((folder / "arena.mp4").read_bytes())
    assert adopted == [(video, True)], "the video was stored"
    assert stored_counts(db) == before and video_rows(db) == 0
    assert blob_files(blob_dir) == [], "neither the frames' blobs nor the video's"


def test_embedded_and_image_file_frames_claim_no_video(tmp_path: Path) -> None:
    images = [tmp_path / "f0.png", tmp_path / "f1.png"]
    write_video(tmp_path / "v.mp4", frames=2)  # a video in the upload is not theirs
    write_tree(tmp_path, {"f0.png": image_bytes(1), "f1.png": image_bytes(2)})
    for embed in (False, True):
        out = tmp_path / f"out-{embed}"
        out.mkdir()
        make_slp(out / "l.slp", images, NAMES, FRAMES, embed=embed)
        with bundle_of(out, *images, tmp_path / "v.mp4") as bundle:
            dataset = sleap.read(bundle, out)
        assert dataset.videos == []
        assert [item.video_frame for item in dataset.items] == [None, None]
