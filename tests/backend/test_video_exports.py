"""Exports keep the identity of frames taken from videos: DeepLabCut's labeled-data folder and
video_sets name the video, and a SLEAP export can reference the video file by frame index."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Annotation, Image
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.conftest import png_bytes, upload
from tests.backend.formats.helpers import make_user, run_import
from tests.video_support import write_video

NAMES = ("nose", "left_eye", "right_eye", "tail")
Points = list[tuple[str, float | None, float | None]]


def add_video(admin: TestClient, project_id: int, path: Path, frames: list[int]) -> list[int]:
    r = admin.post(
        f"/api/v1/projects/{project_id}/videos",
        files={"file": (path.name, path.read_bytes(), "video/mp4")},
    )
    assert r.status_code == 201, r.text
    added = admin.post(f"/api/v1/videos/{r.json()['id']}/frames", json={"frame_indices": frames})
    assert added.status_code == 201, added.text
    return [int(i["id"]) for i in added.json()["created"]]


def annotate(admin: TestClient, image_id: int, seed: int) -> None:
    x = 3.25 + seed
    keypoints = [
        {"name": "nose", "x": x, "y": 5.5, "visibility": "visible"},
        {"name": "left_eye", "x": x + 10, "y": 7.0, "visibility": "occluded"},
        {"name": "right_eye"},
        {"name": "tail", "x": 1.5, "y": 20.125 + seed, "visibility": "visible"},
    ]
    body = {"version": 0, "keypoints": keypoints}
    r = admin.put(f"/api/v1/images/{image_id}/annotation", json=body)
    assert r.status_code == 200, r.text


@pytest.fixture
def two_videos(admin: TestClient, project: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Frames 3 and 12 of a 40-frame `mouse arena.mp4`, frame 105 of a 120-frame `cage 2.avi`
    (another size), and one plain image; all but frame 12 annotated."""
    arena = write_video(tmp_path / "mouse arena.mp4", frames=40, width=64, height=48)
    cage = write_video(tmp_path / "cage 2.avi", frames=120, width=80, height=64, codec="mpeg4")
    first = add_video(admin, project["id"], arena, [3, 12])
    second = add_video(admin, project["id"], cage, [105])
    plain = upload(admin, project["id"], ("loose.png", png_bytes()))["created"][0]["id"]
    for seed, image_id in enumerate([first[0], second[0], plain]):
        annotate(admin, image_id, seed)
    return {"project": project["id"], "paths": {"arena": arena, "cage": cage}}


def export_zip(admin: TestClient, project_id: int, fmt: str, **query: str) -> zipfile.ZipFile:
    r = admin.get(f"/api/v1/projects/{project_id}/export/{fmt}", params=query)
    assert r.status_code == 200, r.text
    return zipfile.ZipFile(io.BytesIO(r.content))


def test_dlc_export_puts_each_videos_frames_in_its_folder_and_names_the_video(
    admin: TestClient, two_videos: dict[str, Any]
) -> None:
    archive = export_zip(admin, two_videos["project"], "dlc")
    frames = sorted(n for n in archive.namelist() if n.endswith(".png"))
    # DeepLabCut pads the index to ceil(log10(frame count)) digits: 2 for 40, 3 for 120.
    assert frames == [
        "labeled-data/cage 2/img105.png",
        "labeled-data/mouse arena/img03.png",
        "labeled-data/mouse arena/img12.png",
        "labeled-data/tigers/loose.png",
    ]
    config = yaml.safe_load(archive.read("config.yaml"))
    assert config["video_sets"] == {
        "videos/mouse arena.mp4": {"crop": "0, 64, 0, 48"},
        "videos/cage 2.avi": {"crop": "0, 80, 0, 64"},
        "videos/tigers.mp4": {"crop": "0, 0, 0, 0"},
    }
    table = archive.read("labeled-data/mouse arena/CollectedData_keyloop.csv").decode()
    rows = [line.split(",")[:5] for line in table.splitlines()[3:]]
    assert rows == [["labeled-data", "mouse arena", "img03.png", "3.25", "5.5"]]


def test_dlc_export_with_videos_is_a_project_whose_config_finds_each_video(
    admin: TestClient, two_videos: dict[str, Any]
) -> None:
    archive = export_zip(admin, two_videos["project"], "dlc", videos="true")
    written = sorted(n for n in archive.namelist() if n.startswith("videos/"))
    assert written == ["videos/cage 2.avi", "videos/mouse arena.mp4"]
    for name, key in (("mouse arena.mp4", "arena"), ("cage 2.avi", "cage")):
        assert archive.read(f"videos/{name}") == two_videos["paths"][key].read_bytes()
    config = yaml.safe_load(archive.read("config.yaml"))
    named = {k for k, v in config["video_sets"].items() if v["crop"] != "0, 0, 0, 0"}
    assert named == set(written)  # the loose image's folder names no video, and none is made


def test_dlc_export_leaves_the_videos_out_unless_asked(
    admin: TestClient, two_videos: dict[str, Any]
) -> None:
    archive = export_zip(admin, two_videos["project"], "dlc")
    assert not [n for n in archive.namelist() if n.startswith("videos/")]


@pytest.mark.parametrize("fmt", ["coco", "sleap", "yolo"])
def test_videos_is_refused_for_formats_other_than_deeplabcut(
    admin: TestClient, two_videos: dict[str, Any], fmt: str
) -> None:
    r = admin.get(f"/api/v1/projects/{two_videos['project']}/export/{fmt}?videos=true")
    assert r.status_code == 422
    assert "videos applies to DeepLabCut exports" in r.json()["detail"]


def frame_labels(db: Session, project_id: int, index_of: Any) -> dict[int, Points]:
    rows = db.execute(
        select(Image, Annotation.keypoints)
        .join(Annotation, Annotation.image_id == Image.id)
        .where(Image.project_id == project_id)
    ).all()
    return {
        index_of(image): [(p["visibility"], p.get("x"), p.get("y")) for p in points]
        for image, points in rows
    }


@pytest.mark.slow
def test_sleap_video_export_references_frames_in_the_video_and_reads_back_exactly(
    admin: TestClient, two_videos: dict[str, Any], db: Session, blob_dir: Path, tmp_path: Path
) -> None:
    import sleap_io as sio  # type: ignore[import-untyped]

    project_id = two_videos["project"]
    archive = export_zip(admin, project_id, "sleap", sleap_video="video")
    # Frame 12 is not annotated, so it is not in the labels; its video still is (frame 3).
    assert sorted(archive.namelist()) == ["cage 2.avi", "labels.slp", "mouse arena.mp4"]
    out = tmp_path / "export"
    archive.extractall(out)
    assert (out / "cage 2.avi").read_bytes() == two_videos["paths"]["cage"].read_bytes()

    labels = sio.load_slp(str(out / "labels.slp"))
    by_video = {
        (str(lf.video.filename).rsplit("/", 1)[-1], lf.frame_idx): lf
        for lf in labels.labeled_frames
    }
    assert set(by_video) == {("mouse arena.mp4", 3), ("cage 2.avi", 105), ("labels.slp", 0)}
    arena_frame = by_video[("mouse arena.mp4", 3)]
    assert arena_frame.instances[0].numpy()[0].tolist() == [3.25, 5.5]
    assert arena_frame.image.shape[:2] == (48, 64)  # sleap-io decodes it from the video
    assert by_video[("labels.slp", 0)].image.shape[:2] == (48, 64)  # the plain image, embedded

    # Keyloop's SLEAP importer reads the frames from the videos beside the .slp.
    reimported = run_import(
        db, LocalBlobStore(blob_dir), Format.sleap, out, user=make_user(db), name="again"
    )
    assert reimported.project_id is not None

    def original(image: Image) -> Any:
        return (image.frame_index, image.width) if image.video_id else image.original_name

    def imported(image: Image) -> Any:
        found = re.fullmatch(r".*_(\d+)\.png", image.original_name)
        if image.width == 64 and found is None:
            return image.original_name
        return (int(found.group(1)) if found else None, image.width)

    before = frame_labels(db, project_id, original)
    after = frame_labels(db, reimported.project_id, imported)
    assert before.keys() == after.keys() == {(3, 64), (105, 80), "loose.png"}
    assert after == before
    arena = db.scalars(select(Image).where(Image.project_id == reimported.project_id)).all()
    pixels = {i.width: i for i in arena}
    assert (pixels[80].width, pixels[80].height) == (80, 64)


def test_sleap_export_embeds_video_frames_by_default(
    admin: TestClient, two_videos: dict[str, Any]
) -> None:
    archive = export_zip(admin, two_videos["project"], "sleap")
    assert archive.namelist() == ["labels.pkg.slp"]


def test_rejects_an_unknown_sleap_video_choice(
    admin: TestClient, two_videos: dict[str, Any]
) -> None:
    r = admin.get(f"/api/v1/projects/{two_videos['project']}/export/sleap?sleap_video=mp4")
    assert r.status_code == 422


def test_frame_pixels_from_the_exported_video_match_keyloops_frame(
    admin: TestClient, two_videos: dict[str, Any], tmp_path: Path
) -> None:
    import sleap_io as sio

    archive = export_zip(admin, two_videos["project"], "sleap", sleap_video="video")
    archive.extractall(tmp_path)
    video = sio.load_video(str(tmp_path / "mouse arena.mp4"))
    stored = admin.get(f"/api/v1/projects/{two_videos['project']}/images").json()
    frame3 = next(i for i in stored["items"] if i.get("frame_index") == 3)
    from PIL import Image as PILImage

    png = admin.get(f"/api/v1/images/{frame3['id']}/file").content
    keyloop = np.asarray(PILImage.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    assert np.abs(video[3].astype(np.int16) - keyloop).mean() < 1.0
