"""Uploading, listing and deleting images of a project."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.errors import BadInput, NotFound
from backend.models import Image, ImageSplit, ImageState, Prediction, Project
from backend.services.image_files import DecodedImage, decode_image, is_zip, iter_zip_images
from backend.services.projects import project_settings
from backend.services.storage import LocalBlobStore, sha256_hex


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    data: bytes


@dataclass
class IngestResult:
    created: list[Image]
    duplicates: list[tuple[str, int | None, str]]


def get_image(session: Session, image_id: int) -> Image:
    image = session.get(Image, image_id)
    if image is None:
        raise NotFound(f"image {image_id} not found")
    return image


def _decoded(
    files: Iterable[UploadedFile], max_pixels: int, max_bytes: int
) -> Iterator[DecodedImage]:
    for f in files:
        if not f.data:
            raise BadInput(f"{f.filename}: empty file")
        if is_zip(f.filename, f.data):
            yield from iter_zip_images(
                f.filename, f.data, max_pixels=max_pixels, max_total_bytes=max_bytes
            )
        else:
            yield decode_image(f.filename, f.data, max_pixels=max_pixels)


def ingest_images(
    session: Session,
    store: LocalBlobStore,
    project: Project,
    files: Iterable[UploadedFile],
    *,
    max_pixels: int,
    max_bytes: int,
) -> IngestResult:
    """Validate every file, store blobs and add rows; all or nothing.

    Blobs created by this call are deleted again if any file is rejected, so a failed upload
    leaves neither rows nor files behind.
    """
    result = IngestResult(created=[], duplicates=[])
    created_blobs: list[str] = []
    seen: dict[str, str] = {}
    fraction = project_settings(project).validation_fraction
    total, n_val = _split_counts(session, project.id)
    try:
        for decoded in _decoded(files, max_pixels, max_bytes):
            checksum = sha256_hex(decoded.data)
            existing = session.scalar(
                select(Image.id).where(Image.project_id == project.id, Image.checksum == checksum)
            )
            if existing is not None or checksum in seen:
                where = f"image {existing}" if existing else seen[checksum]
                result.duplicates.append(
                    (decoded.filename, existing, f"same content as {where}; not stored again")
                )
                continue
            seen[checksum] = decoded.filename
            _, created = store.put(decoded.data)
            if created:
                created_blobs.append(checksum)
            total += 1
            # Keep the validation share at the project's fraction as images arrive.
            split = ImageSplit.validation if n_val < int(fraction * total) else ImageSplit.train
            n_val += split == ImageSplit.validation
            image = Image(
                project_id=project.id,
                checksum=checksum,
                original_name=decoded.original_name[:500],
                media_type=decoded.media_type,
                width=decoded.width,
                height=decoded.height,
                split=split,
                state=ImageState.new,
                roi=None,
                labeled_count=0,
            )
            session.add(image)
            result.created.append(image)
        session.flush()
    except BaseException:
        for checksum in created_blobs:
            store.delete(checksum)
        raise
    return result


def _split_counts(session: Session, project_id: int) -> tuple[int, int]:
    rows = dict(
        session.execute(
            select(Image.split, func.count())
            .where(Image.project_id == project_id)
            .group_by(Image.split)
        ).all()
    )
    return sum(rows.values()), rows.get(ImageSplit.validation, 0)


def list_images(
    session: Session,
    project_id: int,
    *,
    state: ImageState | None,
    split: ImageSplit | None,
    has_prediction: bool | None,
    offset: int,
    limit: int,
) -> tuple[list[Image], int]:
    query = select(Image).where(Image.project_id == project_id)
    if state is not None:
        query = query.where(Image.state == state)
    if split is not None:
        query = query.where(Image.split == split)
    if has_prediction is not None:
        predicted = select(Prediction.id).where(Prediction.image_id == Image.id).exists()
        query = query.where(predicted if has_prediction else ~predicted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Image.id).offset(offset).limit(limit)).all()
    return list(items), total


def remove_blob_if_orphaned(session: Session, store: LocalBlobStore, checksum: str) -> None:
    """Call after the deleting transaction committed: the same bytes may belong to an image
    of another project, and a rolled-back delete must still find its file."""
    if session.scalar(select(Image.id).where(Image.checksum == checksum).limit(1)) is None:
        store.delete(checksum)
