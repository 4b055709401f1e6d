"""Importing annotated datasets from other tools into a project, in one unit of work.

Each format module reads the files into a neutral `Dataset`; this module stores it: images
through `ingest_images` (validation, content addressing, duplicate detection) one at a time,
annotations through `save_annotation` (validation, version 1, a revision, image state), so
imported data obeys exactly the rules of the API. Nothing here commits: on any error the
caller rolls back, and the blobs this import created are deleted before the error leaves.
"""

from __future__ import annotations

import enum
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import BadInput, KeyloopError
from backend.formats import coco, cvat, dlc, sleap
from backend.formats.bundle import Bundle
from backend.formats.common import Dataset, Item
from backend.models import Annotation, Image, Project, User
from backend.schemas.annotation import Point
from backend.schemas.project import KeypointDef, KeypointSchema, ProjectCreate
from backend.services.annotations import save_annotation
from backend.services.images import UploadedFile, ingest_images
from backend.services.projects import create_project
from backend.services.storage import LocalBlobStore, sha256_hex

Progress = Callable[[int, int], None]


class Format(enum.StrEnum):
    coco = "coco"
    dlc = "dlc"
    cvat = "cvat"
    sleap = "sleap"


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


def read_dataset(
    fmt: Format, bundle: Bundle, workdir: Path, *, label: str | None, max_bytes: int
) -> Dataset:
    """`label` picks the COCO category or CVAT skeleton label when a file has several."""
    if fmt is Format.coco:
        return coco.read(bundle, label, limit=max_bytes)
    if fmt is Format.dlc:
        return dlc.read(bundle, limit=max_bytes)
    if fmt is Format.cvat:
        return cvat.read(bundle, label, limit=max_bytes)
    return sleap.read(bundle, workdir)


def import_dataset(
    session: Session,
    store: LocalBlobStore,
    dataset: Dataset,
    bundle: Bundle,
    *,
    project: Project | None,
    new_project_name: str | None,
    author: User,
    max_pixels: int,
    max_bytes: int,
    progress: Progress | None = None,
) -> ImportReport:
    """Store `dataset` into `project`, or into a new project whose schema it defines."""
    if project is None:
        project = _new_project(session, dataset, new_project_name)
    else:
        _check_schema(dataset, project)
    report = ImportReport(project_id=project.id, notes=list(dataset.notes))
    created_blobs: list[str] = []
    try:
        for done, item in enumerate(dataset.items, start=1):
            try:
                _import_item(
                    session,
                    store,
                    project,
                    dataset,
                    bundle,
                    item,
                    report,
                    created_blobs,
                    author=author,
                    max_pixels=max_pixels,
                    max_bytes=max_bytes,
                )
            except KeyloopError as exc:
                if item.origin and not exc.detail.startswith(item.origin):
                    exc.detail = f"{item.origin}: {exc.detail}"
                    exc.args = (exc.detail,)
                raise
            if progress is not None:
                progress(done, len(dataset.items))
    except BaseException:
        for checksum in created_blobs:
            store.delete(checksum)
        raise
    return report


def _new_project(session: Session, dataset: Dataset, name: str | None) -> Project:
    try:
        schema = KeypointSchema(
            keypoints=[KeypointDef(name=n) for n in dataset.keypoint_names],
            skeleton=dataset.skeleton,
        )
        data = ProjectCreate(name=name or dataset.name, keypoint_schema=schema)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise BadInput(f"{dataset.anchor}: cannot make a keypoint schema: {problems}") from exc
    return create_project(session, data)


def _check_schema(dataset: Dataset, project: Project) -> None:
    names = project.keypoint_names
    for name in dataset.keypoint_names:
        if name not in names:
            raise BadInput(
                f"{dataset.anchor}: keypoint {name!r} is not in project {project.name!r}'s "
                f"schema {names}; rename it in the file or add it to the schema first"
            )


def _import_item(
    session: Session,
    store: LocalBlobStore,
    project: Project,
    dataset: Dataset,
    bundle: Bundle,
    item: Item,
    report: ImportReport,
    created_blobs: list[str],
    *,
    author: User,
    max_pixels: int,
    max_bytes: int,
) -> None:
    """Store one item; a blob it creates is recorded at once, so a later error removes it."""
    if item.load_image is not None:
        name, data = item.file_name, item.load_image()
    else:
        found = bundle.resolve(item.file_name, dataset.anchor)
        if found is None:
            raise BadInput(f"image {item.file_name!r} is not in the upload")
        name, data = found, bundle.read(found, max_bytes)
    existed = store.exists(sha256_hex(data))
    result = ingest_images(
        session,
        store,
        project,
        [UploadedFile(name, data)],
        max_pixels=max_pixels,
        max_bytes=max_bytes,
    )
    del data  # one image's bytes at a time
    if result.created:
        image = result.created[0]
        report.images_created += 1
        if not existed:
            created_blobs.append(image.checksum)
        duplicate = None
    else:
        _, existing_id, _ = result.duplicates[0]
        assert existing_id is not None  # ingest_images found it in the project
        image = session.get_one(Image, existing_id)
        duplicate = Duplicate(item.file_name, existing_id, "none")
        report.duplicates.append(duplicate)
    declared = (item.width, item.height)
    if None not in declared and declared != (image.width, image.height):
        # Coordinates were labeled on an image of the declared size: they would be wrong here.
        raise BadInput(
            f"the file says {item.width}x{item.height} but the image is "
            f"{image.width}x{image.height}"
        )
    if item.points is None:
        return
    if duplicate is not None:
        annotated = session.scalar(select(Annotation.id).where(Annotation.image_id == image.id))
        if annotated is not None:
            duplicate.annotation = "kept existing"
            return
        duplicate.annotation = "applied"
    by_name = dict(zip(dataset.keypoint_names, item.points, strict=True))
    points = []
    for name in project.keypoint_names:
        p = by_name.get(name)
        visibility = p.visibility if p is not None else "unlabeled"
        x, y = (p.x, p.y) if p is not None else (None, None)
        points.append(Point(name=name, x=x, y=y, visibility=visibility, source="human"))
    done = any(p.visibility != "unlabeled" for p in points)
    save_annotation(session, project, image, points, done, 0, author)
    report.annotations_saved += 1


def import_files(
    session: Session,
    store: LocalBlobStore,
    fmt: Format,
    bundle: Bundle,
    *,
    project: Project | None,
    new_project_name: str | None = None,
    label: str | None = None,
    author: User,
    max_pixels: int,
    max_bytes: int,
    progress: Progress | None = None,
) -> ImportReport:
    """Read `bundle` as `fmt` and import it (the temporary folder holds SLEAP's file copy)."""
    with tempfile.TemporaryDirectory(prefix="keyloop-import-") as tmp:
        dataset = read_dataset(fmt, bundle, Path(tmp), label=label, max_bytes=max_bytes)
        return import_dataset(
            session,
            store,
            dataset,
            bundle,
            project=project,
            new_project_name=new_project_name,
            author=author,
            max_pixels=max_pixels,
            max_bytes=max_bytes,
            progress=progress,
        )
