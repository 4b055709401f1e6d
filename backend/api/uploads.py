"""Reading multipart uploads with the configured size limit."""

from __future__ import annotations

from fastapi import UploadFile

from backend.errors import PayloadTooLarge


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """The whole file, or 413 naming it when it is larger than `limit` bytes."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"{upload.filename}: larger than the {limit}-byte upload limit")
    return data
