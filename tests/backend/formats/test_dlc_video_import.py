"""A DeepLabCut project that carries its videos (`videos/<stem>.mp4`): the import attaches each
video to the project and links the labeled-data frames that really are its frames."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import current_settings
from backend.cli import app as cli
from backend.config import Settings, get_settings
from backend.db.session import session_scope
from backend.errors import BadInput
from backend.formats import dlc
from backend.models import Image, Project
from backend.services.frame_match import MAX_BLOCK_DIFF
from backend.services.storage import LocalBlobStore, sha256_hex
from backend.services.transfer import Format
from tests.backend.conftest import post_files
from tests.backend.formats.helpers import (
    blob_files,
    bundle_of,
    frames_of,
    import_by_job,
    links,
    make_user,
    project_files,
    run_import,
    spy_on_adopt,
    staged_leftovers,
    stored_counts,
    video_rows,
    write_tree,
    zip_of,
)
from tests.backend.formats.test_transfer_cli import _ready, runner
from tests.video_support import write_video

FPS = 25.0  # write_video's


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def as_zip(path: Path, files: dict[str, bytes]) -> Path:
    path.write_bytes(zip_of(files))
    return path


def test_an_imported_projects_video_is_attached_and_its_frames_linked_and_exported_back(
    live_admin: TestClient, live_settings: Settings, tmp_path: Path
) -> None:
    video = write_video(tmp_path / "cam1.mp4", frames=40)
    # Named as DeepLabCut names frames of a 40-frame video (2 digits).
    frames = dict(zip(["img03.png", "img12.png"], frames_of(video, 3, 12), strict=True))
    files = project_files({"cam1": frames}, {"videos/cam1.mp4": video.read_bytes()})
    job = import_by_job(live_admin, "dlc", [("reach.zip", zip_of(files))])
    assert job["progress"]["report"]["notes"] == []
    project_id = job["project_id"]

    (listed,) = live_admin.get(f"/api/v1/projects/{project_id}/videos").json()
    assert (listed["original_name"], listed["frame_count"]) == ("cam1.mp4", 40)
    assert (listed["frame_images"], listed["frames_labeled"]) == (2, 2)
    images = live_admin.get(f"/api/v1/projects/{project_id}/images").json()["items"]
    assert sorted((i["original_name"], i["video_id"], i["frame_index"]) for i in images) == [
        ("cam1/img03.png", listed["id"], 3),
        ("cam1/img12.png", listed["id"], 12),
    ]
    assert sorted(i["frame_time"] for i in images) == [pytest.approx(3 / FPS), 12 / FPS]

    export = live_admin.get(f"/api/v1/projects/{project_id}/export/dlc?videos=true")
    assert export.status_code == 200, export.text
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    folder = sorted(n for n in archive.namelist() if n.startswith("labeled-data/"))
    assert folder == [
        "labeled-data/cam1/CollectedData_Ann.csv",
        "labeled-data/cam1/CollectedData_Ann.h5",
        "labeled-data/cam1/img03.png",
        "labeled-data/cam1/img12.png",
    ]
    for name, data in frames.items():
        assert archive.read(f"labeled-data/cam1/{name}") == data
    table = archive.read("labeled-data/cam1/CollectedData_Ann.csv").decode().splitlines()
    assert [row.split(",") for row in table[3:]] == [
        ["labeled-data", "cam1", "img03.png", "10.0", "20.5", "30.0", "40.0"],
        ["labeled-data", "cam1", "img12.png", "11.0", "20.5", "30.0", "39.0"],
    ]
    assert archive.read("videos/cam1.mp4") == video.read_bytes()


def test_frames_whose_pixels_or_size_are_not_the_videos_stay_plain_images_with_a_note(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    cam1 = write_video(tmp_path / "cam1.mp4", frames=40)
    cam2 = write_video(tmp_path / "cam2.mp4", frames=40, width=80, height=64)
    third, sixth = frames_of(cam1, 3, 6)
    folders = {
        # img05.png holds frame 6: a neighbour frame, named one off.
        "cam1": {"img03.png": third, "img05.png": sixth},
        "cam2": {"img03.png": frames_of(cam1, 4)[0]},  # 64x48 frames of an 80x64 video
    }
    videos = {"videos/cam1.mp4": cam1.read_bytes(), "videos/cam2.mp4": cam2.read_bytes()}
    bundle = as_zip(tmp_path / "p.zip", project_files(folders, videos))
    report = run_import(db, store, Format.dlc, bundle, user=make_user(db), name="reach")

    assert report.notes == [
        "labeled-data/cam1: 1 of 2 frames are not frames of videos/cam1.mp4 (1 whose pixels "
        "differ from that frame's), imported as plain images",
        "labeled-data/cam2: 1 of 1 frames are not frames of videos/cam2.mp4 (1 of size 64x48 "
        "vs the video's 80x64), imported as plain images",
    ]
    assert links(db, report.project_id) == {
        "cam1/img03.png": ("cam1.mp4", 3),
        "cam1/img05.png": (None, None),
        "cam2/img03.png": (None, None),
    }
    assert video_rows(db) == 2, "both videos are attached, linked frames or not"


def test_an_unreadable_video_is_a_note_and_its_frames_plain_images(
    db: Session, store: LocalBlobStore, blob_dir: Path, tmp_path: Path
) -> None:
    frames = {"img03.png": frames_of(write_video(tmp_path / "v.mp4"), 3)[0]}
    files = project_files({"x": frames}, {"videos/x.mp4": b"these are not the frames you want\n"})
    report = run_import(
        db, store, Format.dlc, as_zip(tmp_path / "p.zip", files), user=make_user(db), name="x"
    )
    (note,) = report.notes
    assert note.startswith("videos/x.mp4: not a readable video")
    assert note.endswith("; its frames are imported as plain images")
    assert links(db, report.project_id) == {"x/img03.png": (None, None)}
    assert video_rows(db) == 0
    assert len(blob_files(blob_dir)) == 1, "the frame's blob only"
    assert staged_leftovers(blob_dir) == []


def test_importing_the_same_project_twice_reuses_the_video_and_duplicates_nothing(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    video = write_video(tmp_path / "cam1.mp4", frames=40)
    frames = dict(zip(["img03.png", "img12.png"], frames_of(video, 3, 12), strict=True))
    bundle = write_tree(
        tmp_path / "reach", project_files({"cam1": frames}, {"videos/cam1.mp4": video.read_bytes()})
    )
    user = make_user(db)
    first = run_import(db, store, Format.dlc, bundle, user=user, name="reach")
    counts = stored_counts(db)
    project = db.get_one(Project, first.project_id)
    again = run_import(db, store, Format.dlc, bundle, user=user, project=project)

    assert (again.images_created, again.notes) == (0, [])
    assert [d.annotation for d in again.duplicates] == ["kept existing", "kept existing"]
    assert stored_counts(db) == counts
    assert video_rows(db) == 1
    assert links(db, project.id) == {
        "cam1/img03.png": ("cam1.mp4", 3),
        "cam1/img12.png": ("cam1.mp4", 12),
    }


def test_frames_imported_without_their_video_are_linked_when_it_comes_with_a_later_import(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    video = write_video(tmp_path / "cam1.mp4", frames=40)
    frames = dict(zip(["img03.png", "img12.png"], frames_of(video, 3, 12), strict=True))
    user = make_user(db)
    bare = write_tree(tmp_path / "bare", project_files({"cam1": frames}, {}))
    first = run_import(db, store, Format.dlc, bare, user=user, name="reach")
    assert set(links(db, first.project_id).values()) == {(None, None)}

    full = write_tree(
        tmp_path / "full", project_files({"cam1": frames}, {"videos/cam1.mp4": video.read_bytes()})
    )
    project = db.get_one(Project, first.project_id)
    again = run_import(db, store, Format.dlc, full, user=user, project=project)
    assert (again.images_created, again.notes) == (0, [])
    assert links(db, project.id) == {
        "cam1/img03.png": ("cam1.mp4", 3),
        "cam1/img12.png": ("cam1.mp4", 12),
    }


def test_a_frame_the_project_already_has_as_another_image_stays_unlinked_with_a_note(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    video = write_video(tmp_path / "cam1.mp4", frames=40)
    third, twelfth = frames_of(video, 3, 12)
    user = make_user(db)
    first = write_tree(
        tmp_path / "a",
        project_files({"cam1": {"img03.png": third}}, {"videos/cam1.mp4": video.read_bytes()}),
    )
    report = run_import(db, store, Format.dlc, first, user=user, name="reach")
    # The same frame 3, as other bytes: a PNG that Pillow wrote at another compression level.
    recoded = io.BytesIO()
    PILImage.open(io.BytesIO(third)).save(recoded, "PNG", compress_level=9)
    assert recoded.getvalue() != third
    second = write_tree(
        tmp_path / "b",
        project_files(
            {"cam1": {"img03.png": recoded.getvalue(), "img12.png": twelfth}},
            {"videos/cam1.mp4": video.read_bytes()},
        ),
    )
    project = db.get_one(Project, report.project_id)
    again = run_import(db, store, Format.dlc, second, user=user, project=project)
    assert again.notes == [
        "labeled-data/cam1: 1 frame imported unlinked: the project has frame 3 of "
        "videos/cam1.mp4 as another image already"
    ]
    rows = db.execute(
        select(Image.checksum, Image.frame_index).where(Image.project_id == project.id)
    ).all()
    frame_of = {checksum: index for checksum, index in rows}
    assert len(frame_of) == 3
    assert frame_of[sha256_hex(third)] == 3, "the first image of frame 3 keeps it"
    assert frame_of[sha256_hex(recoded.getvalue())] is None
    assert frame_of[sha256_hex(twelfth)] == 12
    assert video_rows(db) == 1


def test_a_failure_after_the_video_was_stored_leaves_no_video_row_and_no_blob(
    db: Session,
    store: LocalBlobStore,
    blob_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    adopted = spy_on_adopt(store, monkeypatch)
    video = write_video(tmp_path / "cam1.mp4", frames=40)
    frames = dict(zip(["img03.png", "img12.png"], frames_of(video, 3, 12), strict=True))
    files = project_files({"cam1": frames}, {"videos/cam1.mp4": video.read_bytes()})
    table = files["labeled-data/cam1/CollectedData_Ann.csv"].decode()
    # The last row's nose is outside the 64x48 frame: refused when the annotations are saved,
    # after the video was staged, probed, checked against the frames and stored.
    files["labeled-data/cam1/CollectedData_Ann.csv"] = table.replace(",11,", ",500,").encode()
    before = stored_counts(db)
    with pytest.raises(BadInput, match="outside the 64x48 image"):
        run_import(
            db, store, Format.dlc, as_zip(tmp_path / "p.zip", files), user=make_user(db), name="r"
        )
    assert adopted == [(sha256_hex(video.read_bytes()), True)], "the video was stored"
    assert stored_counts(db) == before and video_rows(db) == 0
    assert blob_files(blob_dir) == [], "neither the frames' blobs nor the video's"


def test_a_project_without_videos_links_nothing_and_says_nothing_of_videos(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    frames = dict(zip(["img03.png"], frames_of(write_video(tmp_path / "v.mp4"), 3), strict=True))
    bundle = write_tree(tmp_path / "p", project_files({"cam1": frames}, {}))
    report = run_import(db, store, Format.dlc, bundle, user=make_user(db), name="reach")
    assert report.notes == []
    assert links(db, report.project_id) == {"cam1/img03.png": (None, None)}
    assert video_rows(db) == 0


def test_a_folders_video_is_the_file_of_its_stem_that_video_sets_names_else_under_videos(
    tmp_path: Path,
) -> None:
    frames = {"img1.png": b"not read here"}
    folders = {"cam1": frames, "cam2": frames, "cam3": frames}
    files = project_files(
        folders,
        {
            "videos/cam1.mp4": b"",
            "raw/cam1.avi": b"",  # named by video_sets: wins over videos/
            "raw/cam2.mov": b"",
            "videos/cam2.mkv": b"",  # under videos/: wins when video_sets names neither
            "cam2-notes.mp4": b"",
            "videos/cam4.mp4": b"",  # no such labeled-data folder
        },
        video_sets={
            "C:\\Users\\ann\\reach\\raw\\cam1.avi": {"crop": "0, 64, 0, 48"},
            "WILL BE AUTOMATICALLY UPDATED BY DEMO CODE": {"crop": "0, 64, 0, 48"},
        },
    )
    with bundle_of(write_tree(tmp_path / "p", files)) as bundle:
        dataset = dlc.read(bundle)
    assert [(v.where, v.video) for v in dataset.videos] == [
        ("labeled-data/cam1", "raw/cam1.avi"),
        ("labeled-data/cam2", "videos/cam2.mkv"),
    ]
    assert all(item.file_name.endswith(".png") for item in dataset.items)
    claims = {
        item.name: (c.video.video, c.index) if (c := item.video_frame) else None
        for item in dataset.items
    }
    assert claims == {
        "cam1/img1.png": ("raw/cam1.avi", 1),
        "cam2/img1.png": ("videos/cam2.mkv", 1),
        "cam3/img1.png": None,
    }


def test_frames_opencv_4_wrote_from_a_bt709_video_are_linked(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    """OpenCV 4 (DeepLabCut's decoder) converts every video with BT.601's matrix, where PyAV
    follows the video's BT.709 tag: many grey levels apart on these colours."""
    path = tmp_path / "cam1.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.colorspace = 1  # BT.709, as HD cameras tag their video
        for i in range(10):
            rgb = np.zeros((48, 64, 3), np.uint8)
            rgb[:] = (200, 40 + 15 * i, 40)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.colorspace = 1
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with av.open(str(path)) as container:
        decoded = list(container.decode(video=0))
    assert decoded[4].colorspace == 1
    opencv_4 = decoded[4].reformat(format="rgb24", src_colorspace=5).to_ndarray()
    buffer = io.BytesIO()
    PILImage.fromarray(opencv_4).save(buffer, "PNG")
    pyav = decoded[4].to_ndarray(format="rgb24")
    assert np.abs(opencv_4.astype(np.int16) - pyav).mean() > MAX_BLOCK_DIFF

    files = project_files(
        {"cam1": {"img4.png": buffer.getvalue()}}, {"videos/cam1.mp4": path.read_bytes()}
    )
    report = run_import(
        db, store, Format.dlc, as_zip(tmp_path / "p.zip", files), user=make_user(db), name="r"
    )
    assert report.notes == []
    assert links(db, report.project_id) == {"cam1/img4.png": ("cam1.mp4", 4)}


def test_a_loose_video_of_a_deeplabcut_upload_is_held_to_the_video_limit_not_the_upload_one(
    app: FastAPI, admin: TestClient, tmp_path: Path
) -> None:
    video = write_video(tmp_path / "cam1.mp4", frames=40)
    frames = {"img03.png": frames_of(video, 3)[0]}
    loose = list(project_files({"cam1": frames}, {"videos/cam1.mp4": video.read_bytes()}).items())
    largest_other = max(len(data) for name, data in loose if not name.endswith(".mp4"))
    assert len(video.read_bytes()) > largest_other
    size = len(video.read_bytes())
    for max_video_bytes, status in ((size, 202), (size - 1, 413)):
        limited = get_settings().model_copy(
            update={"max_upload_bytes": largest_other, "max_video_bytes": max_video_bytes}
        )
        app.dependency_overrides[current_settings] = lambda limited=limited: limited
        r = post_files(admin, "/api/v1/projects/import/dlc", loose)
        assert r.status_code == status, r.text
    assert f"videos/cam1.mp4: larger than the {size - 1}-byte video limit" in r.json()["detail"]
    r = post_files(admin, "/api/v1/projects/import/coco", loose)
    assert r.status_code == 413, "other formats hold every loose file to the upload limit"
    assert f"videos/cam1.mp4: larger than the {largest_other}-byte upload limit" in r.text


def test_the_command_line_import_attaches_the_video_and_prints_the_notes(tmp_path: Path) -> None:
    user = _ready()
    video = write_video(tmp_path / "cam1.mp4", frames=40)
    third, sixth = frames_of(video, 3, 6)
    folder = write_tree(
        tmp_path / "reach",
        project_files(
            {"cam1": {"img03.png": third, "img05.png": sixth}},
            {"videos/cam1.mp4": video.read_bytes()},
        ),
    )
    name = f"cli-video-{tmp_path.name}"
    result = runner.invoke(
        cli, ["import", "dlc", str(folder), "--new-project", name, "--user", user]
    )
    assert result.exit_code == 0, result.output
    assert (
        "note: labeled-data/cam1: 1 of 2 frames are not frames of videos/cam1.mp4 (1 whose "
        "pixels differ from that frame's), imported as plain images"
    ) in result.output
    with session_scope(get_settings().database_url) as session:
        project = session.scalars(select(Project).where(Project.name == name)).one()
        assert links(session, project.id) == {
            "cam1/img03.png": ("cam1.mp4", 3),
            "cam1/img05.png": (None, None),
        }
