"""Small generated datasets and the checks the format tests share."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.formats.bundle import Bundle, DirSink
from backend.models import Annotation, AnnotationRevision, Image, Project, Role, User, Video
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format, ImportReport, import_files
from backend.services.transfer_export import ExportFilter, export
from backend.services.users import create_user
from backend.services.video_files import FrameReader, frame_png, probe

# ../shared/data beside the checkout; KEYLOOP_SHARED_DATA points elsewhere (a git worktree).
SHARED_DATA = (
    os.environ.get("KEYLOOP_SHARED_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data"
)
SHARED_FORMATS = Path(SHARED_DATA) / "formats"
NAMES = ["nose", "left_ear", "right_ear", "tail"]
SKELETON = [("nose", "left_ear"), ("nose", "right_ear"), ("nose", "tail")]
MAX_PIXELS, MAX_BYTES = 10_000_000, 50_000_000


def shared(*parts: str) -> Path:
    """A file under ../shared/data/formats, or skip: that data is never in the repository."""
    path = SHARED_FORMATS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real-format test data not found at {path.resolve()} (../shared/data)")
    return path


def image_bytes(i: int, width: int = 64, height: int = 48) -> bytes:
    """A distinct PNG per `i`, so checksums differ."""
    buf = io.BytesIO()
    PILImage.new("RGB", (width, height), (i * 7 % 256, 60, 200)).save(buf, "PNG")
    return buf.getvalue()


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def make_user(db: Session, role: Role = Role.admin) -> User:
    n = db.scalar(select(func.count()).select_from(User)) or 0
    return create_user(db, f"importer{n}@example.com", "long-enough-pw", role)


@contextmanager
def bundle_of(*paths: Path) -> Iterator[Bundle]:
    with Bundle() as bundle:
        for p in paths:
            bundle.add_path(p)
        yield bundle


@contextmanager
def unit_of_work(db: Session) -> Iterator[Session]:
    """The test's session as `import_files` opens units of work: each commits (a savepoint in
    the test's transaction) or rolls back."""
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise


def run_import(
    db: Session,
    store: LocalBlobStore,
    fmt: Format,
    *paths: Path,
    user: User,
    project: Project | None = None,
    name: str | None = None,
    label: str | None = None,
    settings: Settings | None = None,
) -> ImportReport:
    with bundle_of(*paths) as bundle:
        return import_files(
            lambda: unit_of_work(db),
            store,
            settings or Settings(max_image_pixels=MAX_PIXELS, max_upload_bytes=MAX_BYTES),
            fmt,
            bundle,
            project_id=project.id if project is not None else None,
            new_project_name=name,
            label=label,
            author_id=user.id,
        )


def export_to(db: Session, store: LocalBlobStore, project_id: int, fmt: Format, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    export(db, store, db.get_one(Project, project_id), fmt, DirSink(out), ExportFilter())
    return out


Labels = dict[str, list[tuple[str, float | None, float | None]]]


def labels_of(db: Session, project_id: int) -> Labels:
    """{original image name: [(visibility, x, y) in schema order]} of a project."""
    project = db.get_one(Project, project_id)
    rows = db.execute(
        select(Image.original_name, Annotation.keypoints)
        .join(Annotation, Annotation.image_id == Image.id)
        .where(Image.project_id == project.id)
    ).all()
    return {name: [(p["visibility"], p["x"], p["y"]) for p in points] for name, points in rows}


def assert_same_labels(a: Labels, b: Labels, *, occluded_as: str = "occluded") -> None:
    """`b` holds `a`'s labels. Both empty, or nothing but unlabeled points, is a failure: an
    import that stored nothing must not pass as a faithful round trip."""
    labeled = [p for points in a.values() for p in points if p[0] != "unlabeled"]
    assert labeled, f"no labeled keypoint to compare ({len(a)} images, {len(b)} in the copy)"
    assert a.keys() == b.keys()
    for name in a:
        for (va, xa, ya), (vb, xb, yb) in zip(a[name], b[name], strict=True):
            expected = occluded_as if va == "occluded" else va
            assert vb == expected, name
            if va != "unlabeled":
                assert xa == pytest.approx(xb, abs=1e-6) and ya == pytest.approx(yb, abs=1e-6)


def stored_counts(db: Session) -> tuple[int, int, int, int]:
    """(projects, images, annotations, revisions) in the database."""
    return tuple(  # type: ignore[return-value]
        db.scalar(select(func.count()).select_from(m)) or 0
        for m in (Project, Image, Annotation, AnnotationRevision)
    )


def blob_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def coco_doc(items: list[dict[str, Any]], names: list[str] = NAMES) -> dict[str, Any]:
    """A COCO document: items are {"file", "w", "h", "kps": [(x, y, v)] or None}."""
    images, anns = [], []
    for i, it in enumerate(items, start=1):
        images.append({"id": i, "file_name": it["file"], "width": it["w"], "height": it["h"]})
        if it.get("kps") is not None:
            flat = [c for kp in it["kps"] for c in kp]
            anns.append({"id": i, "image_id": i, "category_id": 1, "keypoints": flat})
    index = {n: k + 1 for k, n in enumerate(names)}
    skeleton = [[index[a], index[b]] for a, b in SKELETON if a in index and b in index]
    return {
        "images": images,
        "annotations": anns,
        "categories": [{"id": 1, "name": "mouse", "keypoints": names, "skeleton": skeleton}],
    }


def patched_zip(entries: dict[str, bytes], *, method: int | None = None, flags: int = 0) -> bytes:
    """A stored (uncompressed) zip whose headers are patched afterwards, as a crafted file
    would be: `method` replaces every member's compression method, `flags` is OR-ed into the
    general-purpose flags (bit 0: encrypted), in both the local and the central headers."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    raw = bytearray(buf.getvalue())
    for magic, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = raw.find(magic)
        while at >= 0:
            old = int.from_bytes(raw[at + flag_at : at + flag_at + 2], "little")
            raw[at + flag_at : at + flag_at + 2] = (old | flags).to_bytes(2, "little")
            if method is not None:
                raw[at + method_at : at + method_at + 2] = method.to_bytes(2, "little")
            at = raw.find(magic, at + 4)
    return bytes(raw)


def bad_crc_zip(entries: dict[str, bytes], damaged: str) -> bytes:
    """A stored zip in which one byte of member `damaged` is changed after its CRC was
    written (the member's bytes must occur once in the archive)."""
    raw = bytearray(patched_zip(entries))
    at = raw.find(entries[damaged])
    assert at >= 0 and raw.count(entries[damaged]) == 1
    raw[at + len(entries[damaged]) // 2] ^= 0xFF
    return bytes(raw)


def links(db: Session, project_id: int) -> dict[str, tuple[str | None, int | None]]:
    """{image name: (its video's file name, frame index)}."""
    rows = db.execute(
        select(Image.original_name, Video.original_name, Image.frame_index)
        .outerjoin(Video, Video.id == Image.video_id)
        .where(Image.project_id == project_id)
    ).all()
    return {name: (video, index) for name, video, index in rows}


def video_rows(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Video)) or 0


def staged_leftovers(blob_dir: Path) -> list[Path]:
    return list(blob_dir.glob(".tmp-*")) if blob_dir.exists() else []


def spy_on_adopt(store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(checksum, whether the call created the blob) of every file the store adopts from now
    on: the proof that a test's failure came after its video was stored."""
    adopted: list[tuple[str, bool]] = []
    adopt = store.adopt

    def spy(source: Path, checksum: str) -> bool:
        adopted.append((checksum, adopt(source, checksum)))
        return adopted[-1][1]

    monkeypatch.setattr(store, "adopt", spy)
    return adopted


def import_by_job(
    client: TestClient, fmt: str, files: list[tuple[str, bytes]], project_id: int | None = None
) -> dict[str, Any]:
    """Post an import as the admin page does (into a new project, or `project_id`) and run its
    job here: the succeeded job."""
    from tests.backend.conftest import post_files
    from worker.jobs.import_ import run_import_job

    into = f"{project_id}/" if project_id is not None else ""
    r = post_files(client, f"/api/v1/projects/{into}import/{fmt}", files)
    assert r.status_code == 202, r.text
    run_import_job(r.json()["id"])
    job: dict[str, Any] = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["state"] == "succeeded", job["error"]
    return job


def frames_of(video: Path, *indices: int) -> list[bytes]:
    """PNGs of the video's frames as Keyloop's decoder gives them."""
    info = probe(video, video.name)
    with FrameReader(video, info.fps) as reader:
        return [frame_png(f) for f in reader.frames(indices)]


def collected(stem: str, files: list[str]) -> bytes:
    head = "scorer,,,Ann,Ann,Ann,Ann\nbodyparts,,,nose,nose,tail,tail\ncoords,,,x,y,x,y\n"
    rows = [f"labeled-data,{stem},{f},{10 + n},20.5,30,{40 - n}\n" for n, f in enumerate(files)]
    return (head + "".join(rows)).encode()


def project_files(
    folders: dict[str, dict[str, bytes]],
    videos: dict[str, bytes],
    video_sets: dict[str, Any] | None = None,
) -> dict[str, bytes]:
    """config.yaml (its video_sets keys the labeller's paths), each folder's CollectedData
    table labeling all its frames, the frames and the videos."""
    if video_sets is None:
        video_sets = {f"/home/ann/reach/videos/{s}.mp4": {"crop": "0, 64, 0, 48"} for s in folders}
    config = {
        "Task": "reach",
        "scorer": "Ann",
        "bodyparts": ["nose", "tail"],
        "skeleton": [["nose", "tail"]],
        "video_sets": video_sets,
    }
    files = {"config.yaml": yaml.safe_dump(config).encode()}
    for stem, frames in folders.items():
        files[f"labeled-data/{stem}/CollectedData_Ann.csv"] = collected(stem, list(frames))
        files.update({f"labeled-data/{stem}/{name}": data for name, data in frames.items()})
    return {**files, **videos}
