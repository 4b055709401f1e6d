"""Whether a row still needs a stored file. Images and videos share one content-addressed store
(`storage.py`), so a file goes only when no image and no video holds its checksum: the same
bytes may be an image of another project, or (however unlikely) a video's."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from backend.models import Image, Video
from backend.services.storage import LocalBlobStore


def blob_in_use(session: Session, checksum: str) -> bool:
    held = exists().where(Image.checksum == checksum) | exists().where(Video.checksum == checksum)
    return bool(session.scalar(select(held)))


def remove_blob_if_orphaned(session: Session, store: LocalBlobStore, checksum: str) -> None:
    """Call after the deleting transaction committed: a rolled-back delete must still find its
    file."""
    if not blob_in_use(session, checksum):
        store.delete(checksum)
