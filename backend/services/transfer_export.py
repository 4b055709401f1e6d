"""Exporting a project's annotations (or its active model's predictions) to other tools.

The dataset is built from the database in one pass; image bytes are copied from the blob
store one file at a time into the sink (a zip on disk for the API, a folder for the CLI), so
exports of thousands of images never hold more than one image in memory.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from backend.errors import BadInput, NotFound
from backend.formats import coco, cvat, dlc_export, label_studio, sleap, yolo
from backend.formats.bundle import Sink
from backend.formats.common import UNLABELED, Dataset, Item, Keypoint, relative_name
from backend.models import (
    Annotation,
    Image,
    ImageSplit,
    ImageState,
    ModelVersion,
    Prediction,
    Project,
)
from backend.services.annotations import stored_points
from backend.services.export_videos import (
    SleapVideo,
    VideoFile,
    dlc_frame_name,
    dlc_video_sets,
    source_of,
    video_files,
    write_sleap_video,
    write_video_files,
)
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format

IMAGE_DIR = "images"
# A DeepLabCut scorer becomes part of file names (CollectedData_<scorer>.csv).
SCORER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


@dataclass(frozen=True)
class ExportFilter:
    state: ImageState | None = None
    split: ImageSplit | None = None
    image_ids: list[int] | None = None
    reviewed: bool | None = None  # True: only images a reviewer has seen as they are now


def _images(project: Project, where: ExportFilter) -> Select[Image]:
    query = select(Image).where(Image.project_id == project.id)
    if where.state is not None:
        query = query.where(Image.state == where.state)
    if where.split is not None:
        query = query.where(Image.split == where.split)
    if where.image_ids is not None:
        query = query.where(Image.id.in_(where.image_ids))
    if where.reviewed is not None:
        reviewed = Image.reviewed_at.is_not(None)
        query = query.where(reviewed if where.reviewed else ~reviewed)
    return query.order_by(Image.id)


def build_dataset(
    session: Session, project: Project, where: ExportFilter, *, predictions: bool = False
) -> tuple[Dataset, list[Image]]:
    """The project's images (named by `export_names`) with their annotations, or with the
    active model version's predictions and per-keypoint confidences. The animal keeps the
    name its imported file gave it (COCO category, DeepLabCut Task), else the project's."""
    schema = project.keypoint_schema
    dataset = Dataset(
        keypoint_names=project.keypoint_names,
        skeleton=[(a, b) for a, b in schema.get("skeleton", [])],
        name=str((project.format_metadata or {}).get("name") or project.name),
    )
    images = list(session.scalars(_images(project, where)))
    ids = [i.id for i in images]
    points = _prediction_points(session, project, ids) if predictions else None
    if points is None:
        points = _annotation_points(session, project, ids)
    for image, name in zip(images, export_names(images), strict=True):
        found = points.get(image.id)
        item = Item(name, found[0] if found else None, image.width, image.height)
        item.score = found[1] if found else None
        dataset.items.append(item)
    return dataset, images


def export_names(images: list[Image]) -> list[str]:
    """Each image's name as a safe relative path (its kept folders included). Names that
    would clash in a zip (equal up to case) get the first 8 hex digits of their checksum:
    the same in every export, unlike a database id."""
    names = [relative_name(i.original_name) or _fallback_name(i) for i in images]
    return unique_paths(names, [i.checksum for i in images])


def _fallback_name(image: Image) -> str:
    suffix = PurePosixPath(image.original_name.replace("\\", "/")).suffix
    return f"image_{image.checksum[:8]}{suffix if relative_name(suffix) else ''}"


def unique_paths(paths: list[str], checksums: list[str]) -> list[str]:
    counts = Counter(p.lower() for p in paths)
    out = []
    for path, checksum in zip(paths, checksums, strict=True):
        if counts[path.lower()] > 1:
            p = PurePosixPath(path)
            path = str(p.with_name(f"{p.stem}-{checksum[:8]}{p.suffix}"))
        out.append(path)
    return out


def dlc_paths(
    dataset: Dataset, images: list[Image], videos: dict[int, VideoFile] | None = None
) -> list[str]:
    """`labeled-data/<video>/<file>`: a Keyloop video's frames go under the video's stem as
    `img<frame index>.png`; otherwise the video is the image name's folder (`v1/img.png`),
    nested folders joined by `_` (DeepLabCut has one level); loose images go under the
    animal's name (the imported Task or category, else the project's name)."""
    fallback = _slug(dataset.name)
    paths = []
    for item, image in zip(dataset.items, images, strict=True):
        frame = source_of(image, videos or {})
        if frame is not None:
            paths.append(
                f"labeled-data/{frame[0].folder}/{dlc_frame_name(frame[0].video, frame[1])}"
            )
            continue
        name = PurePosixPath(item.file_name)
        folder = _slug("_".join(name.parent.parts)) if name.parent.parts else fallback
        paths.append(f"labeled-data/{folder}/{name.name}")
    return unique_paths(paths, [i.checksum for i in images])


def _annotation_points(
    session: Session, project: Project, ids: list[int]
) -> dict[int, tuple[list[Keypoint], float | None]]:
    rows = session.scalars(select(Annotation).where(Annotation.image_id.in_(ids)))
    out: dict[int, tuple[list[Keypoint], float | None]] = {}
    for ann in rows:
        pts = [
            Keypoint(p.x, p.y, p.visibility) if p.visibility != "unlabeled" else UNLABELED
            for p in stored_points(project, ann.keypoints)
        ]
        out[ann.image_id] = (pts, None)
    return out


def _prediction_points(
    session: Session, project: Project, ids: list[int]
) -> dict[int, tuple[list[Keypoint], float | None]]:
    active = session.scalar(
        select(ModelVersion.id).where(
            ModelVersion.project_id == project.id, ModelVersion.is_active.is_(True)
        )
    )
    if active is None:
        raise NotFound(f"project {project.id} has no active model version, so no predictions")
    rows = session.scalars(
        select(Prediction).where(
            Prediction.model_version_id == active, Prediction.image_id.in_(ids)
        )
    )
    out: dict[int, tuple[list[Keypoint], float | None]] = {}
    for pred in rows:
        pts = [
            Keypoint(float(p["x"]), float(p["y"]), "visible", _opt(p.get("confidence")))
            if p.get("x") is not None and p.get("y") is not None
            else UNLABELED
            for p in pred.keypoints
        ]
        pts += [UNLABELED] * (len(project.keypoint_names) - len(pts))
        scores = [p.score for p in pts if p.score is not None]
        score = pred.score if pred.score is not None else _mean(scores)
        out[pred.image_id] = (pts, score)
    return out


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "keyloop"


def coco_document(
    session: Session, project: Project, where: ExportFilter, *, predictions: bool
) -> dict[str, Any]:
    dataset, _ = build_dataset(session, project, where, predictions=predictions)
    return coco.dump(dataset, with_scores=predictions)


def check_export_options(fmt: Format, *, predictions: bool, dlc_videos: bool) -> None:
    """Options that do not apply to `fmt` are refused, not silently ignored."""
    if predictions and fmt is not Format.coco:
        raise BadInput("predictions can be exported in COCO format only (it has scores)")
    if dlc_videos and fmt is not Format.dlc:
        raise BadInput(
            "videos applies to DeepLabCut exports; a SLEAP export writes its videos "
            "with sleap_video=video"
        )


def export(
    session: Session,
    store: LocalBlobStore,
    project: Project,
    fmt: Format,
    sink: Sink,
    where: ExportFilter,
    *,
    predictions: bool = False,
    scorer: str | None = None,
    sleap_video: SleapVideo = SleapVideo.embedded,
    dlc_videos: bool = False,
) -> int:
    """Write the annotation file(s) and the images in `fmt`'s layout; returns image count.
    `scorer` names DeepLabCut's CollectedData_<scorer> (default: the scorer the project was
    imported with, else `keyloop`). `sleap_video` says whether a SLEAP export embeds video
    frames or references them in the video file, written beside the labels. `dlc_videos`
    writes a DeepLabCut export's videos under `videos/`, where its config.yaml names them."""
    check_export_options(fmt, predictions=predictions, dlc_videos=dlc_videos)
    dataset, images = build_dataset(session, project, where, predictions=predictions)
    if fmt is Format.coco:
        sink.write_bytes(
            "annotations.json", json.dumps(coco.dump(dataset, with_scores=predictions)).encode()
        )
        paths = [f"{IMAGE_DIR}/{i.file_name}" for i in dataset.items]
    elif fmt is Format.cvat:
        sink.write_bytes("annotations.xml", cvat.dump(dataset))
        paths = [f"{IMAGE_DIR}/{i.file_name}" for i in dataset.items]
    elif fmt is Format.label_studio:
        paths = label_studio.write(dataset, sink)
    elif fmt is Format.yolo:
        paths = yolo.write(dataset, sink)
    elif fmt is Format.dlc:
        videos = video_files(session, images)
        for item, path in zip(dataset.items, dlc_paths(dataset, images, videos), strict=True):
            item.file_name = path
        details = (project.format_metadata or {}).get("dlc") or {}
        if scorer is not None and not re.fullmatch(SCORER_PATTERN, scorer):
            raise BadInput(f"scorer {scorer!r}: use letters, digits, '_', '.' and '-' only")
        chosen = scorer or _slug(str(details.get("scorer") or "") or "keyloop")
        dlc_export.write(
            dataset,
            sink,
            scorer=chosen,
            config=details.get("config") or {},
            empty_video=_slug(dataset.name),
            videos=dlc_video_sets(videos.values()),
        )
        if dlc_videos:
            write_video_files(store, videos.values(), sink, folder="videos/")
        paths = [i.file_name for i in dataset.items]
    else:
        if sleap_video is SleapVideo.video:
            blobs = [_blob(store, i) for i in images]
            write_sleap_video(session, store, dataset, images, blobs, sink)
        else:
            _write_sleap(store, dataset, images, sink)
        return len(images)
    for image, path in zip(images, paths, strict=True):
        sink.write_path(str(PurePosixPath(path)), _blob(store, image))
    return len(images)


def _write_sleap(store: LocalBlobStore, dataset: Dataset, images: list[Image], sink: Sink) -> None:
    with tempfile.TemporaryDirectory(prefix="keyloop-export-") as tmp:
        out = Path(tmp) / "labels.pkg.slp"
        sleap.write(dataset, [_blob(store, i) for i in images], out)
        sink.write_path("labels.pkg.slp", out)


def _blob(store: LocalBlobStore, image: Image) -> Path:
    path = store.path_for(image.checksum)
    if not path.is_file():
        raise NotFound(f"the file of image {image.id} ({image.original_name}) is missing")
    return path
