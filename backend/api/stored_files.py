"""Answering with a stored file: small ones from memory, large ones streamed.

Starlette's `FileResponse` stats, opens, reads and closes the file each on the thread pool: four
trips out of the event loop and back for a 20 KB thumbnail, which under load cost a thumbnail
half again the CPU of a JSON read (issue 14). A route that serves a stored file already runs on
a thread, so a file up to `INLINE_BYTES` is read there, in one go, and sent from memory; a
larger one (an original photo, a TIFF rendition) is streamed by `FileResponse` as before, with
Range requests, and without its own stat.
"""

from __future__ import annotations

import hashlib
import os
from email.utils import formatdate
from pathlib import Path

from fastapi.responses import FileResponse, Response

# At most this much per response is held in memory: with the API's 40 route threads, 20 MiB.
INLINE_BYTES = 512 * 1024


def stored_file(path: Path, media_type: str, headers: dict[str, str]) -> Response:
    """`path` (which must exist) as the response body, with `FileResponse`'s validators."""
    stat = path.stat()
    if stat.st_size > INLINE_BYTES:
        return FileResponse(path, media_type=media_type, headers=headers, stat_result=stat)
    return Response(path.read_bytes(), media_type=media_type, headers=headers | validators(stat))


def validators(stat: os.stat_result) -> dict[str, str]:
    """The `etag` and `last-modified` that `FileResponse` would send for this file."""
    tag = hashlib.md5(f"{stat.st_mtime}-{stat.st_size}".encode(), usedforsecurity=False)
    return {
        "etag": f'"{tag.hexdigest()}"',
        "last-modified": formatdate(stat.st_mtime, usegmt=True),
    }
