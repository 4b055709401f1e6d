"""Uploading, listing and deleting images of a project."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import data_layout
from backend.errors import BadInput, NotFound
from backend.models import Image, ImageSplit, ImageState, Prediction, Project
from backend.services.image_files import DecodedImage, decode_image, is_zip, iter_zip_images
from backend.services.projects import project_settings
from backend.services.storage import LocalBlobStore, write_atomic


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    data: bytes


@dataclass
class IngestResult:
    created: list[Image]
    duplicates: list[tuple[str, int | None, str]]


@dataclass(frozen=True)
class StoredImage:
    """A validated image whose bytes are in the blob store: all its row needs, no bytes."""

    filename: str  # where it came from, for messages
    original_name: str
    checksum: str
    media_type: str
    width: int
    height: int


def get_image(session: Session, image_id: int) -> Image:
    image = session.get(Image, image_id)
    if image is None:
        raise NotFound(f"image {image_id} not found")
    return image


def get_image_and_project(session: Session, image_id: int) -> tuple[Image, Project]:
    """The image and its project in one query: routes on an image's annotation need both."""
    row = session.execute(
        select(Image, Project)
        .join(Project, Project.id == Image.project_id)
        .where(Image.id == image_id)
    ).first()
    if row is None:
        raise NotFound(f"image {image_id} not found")
    return row[0], row[1]


def decoded_files(
    files: Iterable[UploadedFile], *, max_pixels: int, max_bytes: int, with_thumbnail: bool = False
) -> Iterator[DecodedImage]:
    """Every image in `files`, zips expanded, each validated (`decode_image`) as it comes."""
    for f in files:
        if not f.data:
            raise BadInput(f"{f.filename}: empty file")
        if is_zip(f.filename, f.data):
            yield from iter_zip_images(
                f.filename,
                f.data,
                max_pixels=max_pixels,
                max_total_bytes=max_bytes,
                with_thumbnail=with_thumbnail,
            )
        else:
            yield decode_image(
                f.filename, f.data, max_pixels=max_pixels, with_thumbnail=with_thumbnail
            )


def decode_file(
    filename: str, data: bytes, *, max_pixels: int, with_thumbnail: bool = False
) -> DecodedImage:
    """One image file (not a zip), validated as an upload is."""
    if not data:
        raise BadInput(f"{filename}: empty file")
    return decode_image(filename, data, max_pixels=max_pixels, with_thumbnail=with_thumbnail)


def store_image(
    store: LocalBlobStore, decoded: DecodedImage, created_blobs: list[str], *, data_dir: Path
) -> StoredImage:
    """Write a validated image's blob, and its thumbnail if the decode made one. A blob this
    call creates is appended to `created_blobs` at once, so the caller can remove it if its
    unit of work fails."""
    checksum, created = store.put(decoded.data)
    if created:
        created_blobs.append(checksum)
    if decoded.thumbnail is not None:
        keep_thumbnail(data_dir, checksum, decoded.thumbnail)
    return StoredImage(
        filename=decoded.filename,
        original_name=decoded.original_name[:500],
        checksum=checksum,
        media_type=decoded.media_type,
        width=decoded.width,
        height=decoded.height,
    )


def keep_thumbnail(data_dir: Path, checksum: str, jpeg: bytes) -> None:
    """Store an image's thumbnail where the API serves it from, unless one is there.

    Thumbnails are made where images are ingested (upload, import, frame extraction), from
    the decode that validates them, so showing a grid never decodes a whole image on the
    API's request path; the thumbnail route still makes one for an image that has none (one
    stored before this, or whose cache was deleted). Keyed by content, a thumbnail is never
    stale; one left by an ingest that then failed is an orphan `keyloop gc` removes."""
    path = data_layout.thumbnail(data_dir, checksum)
    if not path.is_file():
        write_atomic(path, jpeg)


class ImageRows:
    """Adds image rows to one project within a unit of work (flushing is the caller's), and
    keeps the validation share at the project's fraction as images arrive."""

    def __init__(self, session: Session, project: Project) -> None:
        self.session = session
        self.project_id = project.id
        self.fraction = project_settings(project).validation_fraction
        self.total, self.n_val = _split_counts(session, project.id)

    def existing(self, checksum: str) -> int | None:
        """The project's image with these bytes, if any (duplicates are detected by checksum)."""
        return self.session.scalar(
            select(Image.id).where(Image.project_id == self.project_id, Image.checksum == checksum)
        )

    def add(self, stored: StoredImage) -> Image:
        self.total += 1
        validation = self.n_val < int(self.fraction * self.total)
        self.n_val += validation
        image = Image(
            project_id=self.project_id,
            checksum=stored.checksum,
            original_name=stored.original_name,
            media_type=stored.media_type,
            width=stored.width,
            height=stored.height,
            split=ImageSplit.validation if validation else ImageSplit.train,
            state=ImageState.new,
            roi=None,
            labeled_count=0,
        )
        self.session.add(image)
        return image


def ingest_images(
    session: Session,
    store: LocalBlobStore,
    project: Project,
    files: Iterable[UploadedFile],
    *,
    max_pixels: int,
    max_bytes: int,
    data_dir: Path,
) -> IngestResult:
    """Validate every file, store blobs and add rows; all or nothing.

    Blobs created by this call are deleted again if any file is rejected, so a failed upload
    leaves neither rows nor files behind.
    """
    result = IngestResult(created=[], duplicates=[])
    created_blobs: list[str] = []
    seen: dict[str, str] = {}
    rows = ImageRows(session, project)
    try:
        decoded_all = decoded_files(
            files, max_pixels=max_pixels, max_bytes=max_bytes, with_thumbnail=True
        )
        for decoded in decoded_all:
            stored = store_image(store, decoded, created_blobs, data_dir=data_dir)
            existing = rows.existing(stored.checksum)
            if existing is not None or stored.checksum in seen:
                where = f"image {existing}" if existing else seen[stored.checksum]
                result.duplicates.append(
                    (decoded.filename, existing, f"same content as {where}; not stored again")
                )
                continue
            seen[stored.checksum] = decoded.filename
            result.created.append(rows.add(stored))
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
    name: str | None = None,
    video_id: int | None = None,
    by_video: bool = False,
) -> tuple[list[Image], int]:
    """A page of the project's images, by id; a video's frames in video order. `by_video`
    orders frames video by video (in frame order), then the images not from a video, so a
    grid grouped by video fills one group after another as pages load."""
    query = select(Image).where(Image.project_id == project_id)
    if video_id is not None:
        # Frames in video order; 0 (never an id) asks for the images that are not frames.
        query = query.where(Image.video_id == video_id if video_id else Image.video_id.is_(None))
    if name:
        # A file name as typed: % and _ are characters here, not LIKE wildcards.
        query = query.where(Image.original_name.icontains(name, autoescape=True))
    if state is not None:
        query = query.where(Image.state == state)
    if split is not None:
        query = query.where(Image.split == split)
    if has_prediction is not None:
        predicted = select(Prediction.id).where(Prediction.image_id == Image.id).exists()
        query = query.where(predicted if has_prediction else ~predicted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order: tuple[Any, ...] = (Image.id,)
    if video_id:
        order = (Image.frame_index, Image.id)
    elif by_video:
        order = (Image.video_id.is_(None), Image.video_id, Image.frame_index, Image.id)
    items = session.scalars(query.order_by(*order).offset(offset).limit(limit)).all()
    return list(items), total


def require_in_project(session: Session, project: Project, image_ids: list[int]) -> None:
    """400 naming (the first 20 of) the ids that are not images of `project`."""
    found = set(
        session.scalars(
            select(Image.id).where(Image.project_id == project.id, Image.id.in_(image_ids))
        )
    )
    unknown = sorted(set(image_ids) - found)
    if unknown:
        raise BadInput(f"images not in project {project.id}: {unknown[:20]}")
