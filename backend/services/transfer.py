"""Importing annotated datasets from other tools into a project, in two phases.

Each format module reads the files into a neutral `Dataset`; this module stores it:
1. *prepare*, without a database transaction: item by item, read the image from the
   bundle, validate it as an upload is validated (`decode_file`: format, pixel limit,
   corrupt files), write its blob, and keep only its metadata (`StoredImage`) and points.
   One image's bytes are in memory at a time, and progress is reported per item.
2. *record*, one unit of work: duplicate checks by checksum and image rows (`ImageRows`, as
   `ingest_images`), annotations through `save_annotation` (validation, version 1, a
   revision, image state), so imported data obeys exactly the rules of the API.
Videos the dataset names (`Dataset.videos`: DeepLabCut's `videos/<stem>.mp4`, the video a
SLEAP file's frames are read from, a CVAT video task's video) are attached and the items that
are their frames linked in the same two phases (`import_videos`).
The phases are apart so that a long import never holds SQLite's single write lock while it
reads images: the job's progress, committed from another session, keeps flowing.
`import_files` runs both for the CLI and the import job (`worker/jobs/import_.py`); on any error
nothing is recorded and the blobs the import created are deleted again.
"""

from __future__ import annotations

import enum
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import BadInput, KeyloopError
from backend.formats import coco, cvat, dlc, label_studio, sleap, yolo
from backend.formats.bundle import Bundle
from backend.formats.common import UNNAMED, Dataset, Item, Keypoint, image_name
from backend.models import Annotation, Image, Project, User
from backend.schemas.annotation import Point
from backend.schemas.project import KeypointDef, KeypointSchema, ProjectCreate
from backend.services.annotations import save_annotation
from backend.services.blob_refs import remove_blob_if_orphaned
from backend.services.images import (
    ImageRows,
    StoredImage,
    decode_file,
    store_image,
)
from backend.services.import_videos import PreparedVideo, prepare_videos, record_videos
from backend.services.projects import create_project, get_project
from backend.services.storage import LocalBlobStore

log = logging.getLogger(__name__)

# `progress(phase, done, total)`: ("preparing", i, n) after each item, ("videos", j, m) after
# each image checked against its video, then ("recording", n, n) once, before the recording
# transaction begins.
Progress = Callable[[str, int, int], None]
# A unit of work: a session that commits when the block ends and rolls back on error.
Sessions = Callable[[], AbstractContextManager[Session]]


class Format(enum.StrEnum):
    coco = "coco"
    dlc = "dlc"
    cvat = "cvat"
    sleap = "sleap"
    label_studio = "label-studio"
    yolo = "yolo"


@dataclass
class Duplicate:
    filename: str
    existing_image_id: int
    annotation: str  # "applied", "kept existing" or "none"


@dataclass
class ImportReport:
    project_id: int
    images_created: int = 0
    annotations_saved: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """The existing project an import goes into, as the prepare phase needs it."""

    name: str
    keypoint_names: list[str]


@dataclass(frozen=True)
class PreparedItem:
    file_name: str  # as the annotation file names it, for the report
    origin: str  # "annotations.json: annotation 7", for messages
    image: StoredImage
    points: list[Keypoint] | None


@dataclass
class PreparedImport:
    """What the record phase needs: metadata only, the images are in the blob store."""

    keypoint_names: list[str]  # the file's, in its order
    anchor: str  # the annotation file, for messages
    notes: list[str]
    new_project: ProjectCreate | None  # None: into an existing project
    items: list[PreparedItem] = field(default_factory=list)
    # The file's name for the animal and format details, kept for exports (format_metadata).
    format_metadata: dict[str, Any] = field(default_factory=dict)
    videos: list[PreparedVideo] = field(default_factory=list)


def read_dataset(
    fmt: Format,
    bundle: Bundle,
    workdir: Path,
    *,
    label: str | None,
    max_bytes: int,
    max_video_bytes: int | None = None,
    project_names: list[str] | None = None,
) -> Dataset:
    """`label` picks the COCO category, CVAT skeleton label or YOLO class when a file has
    several, and the individual of a multi-animal DeepLabCut file; `project_names` name the
    keypoints of a YOLO file that does not. `max_video_bytes` bounds a video that frames are
    read from (SLEAP, CVAT for video), `max_bytes` every other file."""
    if fmt is Format.label_studio:
        return label_studio.read(bundle, limit=max_bytes)
    if fmt is Format.yolo:
        return yolo.read(bundle, label, limit=max_bytes, project_names=project_names)
    if fmt is Format.coco:
        return coco.read(bundle, label, limit=max_bytes)
    if fmt is Format.dlc:
        return dlc.read(bundle, label, limit=max_bytes)
    if fmt is Format.cvat:
        return cvat.read(
            bundle, label, limit=max_bytes, workdir=workdir, video_limit=max_video_bytes
        )
    return sleap.read(bundle, workdir, limit=max_bytes, video_limit=max_video_bytes)


def frame_video_limit(settings: Settings) -> int:
    """The largest video a file's frames may be read from (SLEAP, CVAT for video): the video is
    also attached as a video, so either limit lets it in (the upload one did before videos were
    attached; one over the video limit is then a note, `import_videos`)."""
    return max(settings.max_upload_bytes, settings.max_video_bytes)


def import_files(
    sessions: Sessions,
    store: LocalBlobStore,
    settings: Settings,
    fmt: Format,
    bundle: Bundle,
    *,
    project_id: int | None,
    new_project_name: str | None = None,
    label: str | None = None,
    author_id: int,
    progress: Progress | None = None,
    on_recorded: Callable[[Session, ImportReport], None] | None = None,
) -> ImportReport:
    """Read `bundle` as `fmt`, prepare it outside any transaction, then record it in one
    unit of work from `sessions()`. `on_recorded` runs inside that unit of work, before its
    commit (an import job marks itself succeeded there, so its outcome commits with the data).
    `project_id` None creates a project whose schema is the file's."""
    created_blobs: list[str] = []
    try:
        target = _target(sessions, project_id)
        # The temporary folder holds SLEAP's or CVAT's copy of the file frames are read from.
        with tempfile.TemporaryDirectory(prefix="keyloop-import-") as tmp:
            dataset = read_dataset(
                fmt,
                bundle,
                Path(tmp),
                label=label,
                max_bytes=settings.max_upload_bytes,
                max_video_bytes=frame_video_limit(settings),
                project_names=target.keypoint_names if target is not None else None,
            )
            prepared = prepare_import(
                store,
                dataset,
                bundle,
                target=target,
                new_project_name=new_project_name,
                settings=settings,
                created_blobs=created_blobs,
                progress=progress,
            )
        if progress is not None:
            progress("recording", len(prepared.items), len(prepared.items))
        with sessions() as session:
            project = get_project(session, project_id) if project_id is not None else None
            author = session.get(User, author_id)
            if author is None:
                raise BadInput(f"user {author_id}, the author of the import, no longer exists")
            report = record_import(session, prepared, project=project, author=author)
            if on_recorded is not None:
                on_recorded(session, report)
    except BaseException:
        _discard_blobs(sessions, store, created_blobs)
        raise
    return report


def _target(sessions: Sessions, project_id: int | None) -> Target | None:
    if project_id is None:
        return None
    with sessions() as session:
        project = get_project(session, project_id)
        return Target(project.name, project.keypoint_names)


def prepare_import(
    store: LocalBlobStore,
    dataset: Dataset,
    bundle: Bundle,
    *,
    target: Target | None,
    new_project_name: str | None,
    settings: Settings,
    created_blobs: list[str],
    progress: Progress | None = None,
) -> PreparedImport:
    """Phase 1, no database: check the schema, then validate and store every image. Blobs
    this creates are appended to `created_blobs` at once, for the caller to remove on error."""
    if target is None:
        new_project = _project_create(dataset, new_project_name)
    else:
        _check_schema(dataset.anchor, dataset.keypoint_names, target)
        new_project = None
    prepared = PreparedImport(
        dataset.keypoint_names,
        dataset.anchor,
        list(dataset.notes),
        new_project,
        format_metadata=_format_metadata(dataset),
    )
    total = len(dataset.items)
    for done, item in enumerate(dataset.items, start=1):
        with _blamed(item.origin):
            image = _store_item_image(store, dataset, bundle, item, created_blobs, settings)
        points = item.points
        if item.normalized and points is not None:
            points = [_scaled(p, image.width, image.height) for p in points]
        prepared.items.append(PreparedItem(item.file_name, item.origin, image, points))
        if progress is not None:
            progress("preparing", done, total)
    if dataset.videos:
        prepared.videos = prepare_videos(
            store,
            settings,
            bundle,
            dataset.videos,
            [item.video_frame for item in dataset.items],
            [item.image for item in prepared.items],
            created_blobs=created_blobs,
            notes=prepared.notes,
            progress=progress,
        )
    return prepared


def _scaled(p: Keypoint, width: int, height: int) -> Keypoint:
    if p.x is None or p.y is None:
        return p
    return Keypoint(p.x * width, p.y * height, p.visibility, p.score)


def _store_item_image(
    store: LocalBlobStore,
    dataset: Dataset,
    bundle: Bundle,
    item: Item,
    created_blobs: list[str],
    settings: Settings,
) -> StoredImage:
    if item.load_image is not None:
        found, data = item.file_name, item.load_image()
    else:
        resolved = bundle.resolve(item.file_name, dataset.anchor)
        if resolved is None:
            raise BadInput(f"image {item.file_name!r} is not in the upload")
        found, data = resolved, bundle.read(resolved, settings.max_upload_bytes)
    # The image keeps the file's relative path as its name (`data/exp_1/frame_1.jpg`), so
    # same-named frames of different folders stay apart and exports restore the folders.
    name = image_name(item.name or item.file_name, found)
    decoded = decode_file(found, data, max_pixels=settings.max_image_pixels, with_thumbnail=True)
    decoded = replace(decoded, name=name)
    del data
    image = store_image(store, decoded, created_blobs, data_dir=settings.data_dir)
    declared = (item.width, item.height)
    if None not in declared and declared != (image.width, image.height):
        # Coordinates were labeled on an image of the declared size: they would be wrong here.
        raise BadInput(
            f"the file says {item.width}x{item.height} but the image is "
            f"{image.width}x{image.height}"
        )
    return image


def record_import(
    session: Session, prepared: PreparedImport, *, project: Project | None, author: User
) -> ImportReport:
    """Phase 2, one unit of work (flushes only): rows for new images, duplicates reported,
    annotations saved. `project` None creates the project the file's schema describes."""
    created = project is None
    if project is None:
        assert prepared.new_project is not None, "prepared for an existing project"
        project = create_project(session, prepared.new_project)
        project.format_metadata = prepared.format_metadata
    else:  # the schema may have changed since the prepare phase checked it
        target = Target(project.name, project.keypoint_names)
        _check_schema(prepared.anchor, prepared.keypoint_names, target)
        # A project keeps what its first import of each format said (its DeepLabCut scorer);
        # the animal's name stays the project's own.
        details = {k: v for k, v in prepared.format_metadata.items() if k != "name"}
        project.format_metadata = {**details, **project.format_metadata}
    report = ImportReport(project_id=project.id, notes=list(prepared.notes))
    rows = ImageRows(session, project)
    # Read once: a save that conflicts expires the session's objects (`save_annotation`).
    names = (prepared.keypoint_names, project.keypoint_names)
    images = []
    for item in prepared.items:
        with _blamed(item.origin):
            images.append(_record_item(session, project, rows, names, item, report, author))
    record_videos(session, project, prepared.videos, images, report.notes)
    if not prepared.items:  # never a silent success with nothing in it
        made = (
            "only the project and its keypoint schema were created"
            if created
            else "nothing was imported"
        )
        report.notes.append(f"{prepared.anchor}: the file lists no images; {made}")
    elif all(item.points is None for item in prepared.items):
        report.notes.append(f"{prepared.anchor}: the file holds images but no annotations")
    return report


def _record_item(
    session: Session,
    project: Project,
    rows: ImageRows,
    names: tuple[list[str], list[str]],  # the file's keypoints, the project's
    item: PreparedItem,
    report: ImportReport,
    author: User,
) -> Image:
    """The item's image (new, or the project's of the same checksum), its annotation saved."""
    existing = rows.existing(item.image.checksum)
    if existing is None:
        image = rows.add(item.image)
        session.flush()
        report.images_created += 1
        duplicate = None
    else:
        image = session.get_one(Image, existing)
        duplicate = Duplicate(item.file_name, existing, "none")
        report.duplicates.append(duplicate)
    if item.points is None:
        return image
    if duplicate is not None:
        annotated = session.scalar(select(Annotation.id).where(Annotation.image_id == image.id))
        if annotated is not None:
            duplicate.annotation = "kept existing"
            return image
        duplicate.annotation = "applied"
    file_names, project_names = names
    by_name = dict(zip(file_names, item.points, strict=True))
    points = []
    for name in project_names:
        p = by_name.get(name)
        visibility = p.visibility if p is not None else "unlabeled"
        x, y = (p.x, p.y) if p is not None else (None, None)
        points.append(Point(name=name, x=x, y=y, visibility=visibility, source="human"))
    done = any(p.visibility != "unlabeled" for p in points)
    save_annotation(session, project, image, points, done, 0, author, origin="import")
    report.annotations_saved += 1
    return image


@contextmanager
def _blamed(origin: str) -> Iterator[None]:
    """Prefix an error with where the item came from ("annotations.json: annotation 7")."""
    try:
        yield
    except KeyloopError as exc:
        if origin and not exc.detail.startswith(origin):
            exc.detail = f"{origin}: {exc.detail}"
            exc.args = (exc.detail,)
        raise


def _discard_blobs(sessions: Sessions, store: LocalBlobStore, checksums: list[str]) -> None:
    """Delete the blobs a failed import created, unless an image or video committed meanwhile
    (another upload of the same bytes) uses one. Without a database to ask, they stay: an
    orphaned blob is harmless, a missing one is not."""
    if not checksums:
        return
    try:
        with sessions() as session:
            for checksum in checksums:
                remove_blob_if_orphaned(session, store, checksum)
    except Exception:
        log.exception("could not remove the %d blobs of a failed import", len(checksums))


def _format_metadata(dataset: Dataset) -> dict[str, Any]:
    named = {"name": dataset.name} if dataset.name != UNNAMED else {}
    return {**named, **dataset.metadata}


def _project_create(dataset: Dataset, name: str | None) -> ProjectCreate:
    try:
        schema = KeypointSchema(
            keypoints=[KeypointDef(name=n) for n in dataset.keypoint_names],
            skeleton=dataset.skeleton,
        )
        return ProjectCreate(name=name or dataset.name, keypoint_schema=schema)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise BadInput(f"{dataset.anchor}: cannot make a keypoint schema: {problems}") from exc


def _check_schema(anchor: str, file_names: list[str], target: Target) -> None:
    for name in file_names:
        if name not in target.keypoint_names:
            raise BadInput(
                f"{anchor}: keypoint {name!r} is not in project {target.name!r}'s schema "
                f"{target.keypoint_names}; rename it in the file or add it to the schema first"
            )
