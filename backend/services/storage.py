"""Content-addressed file storage under the data dir.

A blob's path is derived from its SHA-256, so the same bytes are stored once and a path
never changes meaning. Writes go to a temporary file first and are renamed into place, so a
crash never leaves a half-written blob under a real name. To move to object storage,
implement the same four methods.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, checksum: str) -> Path:
        return self.root / checksum[:2] / checksum[2:4] / checksum

    def exists(self, checksum: str) -> bool:
        return self.path_for(checksum).is_file()

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store bytes; returns (checksum, whether this call created the blob)."""
        checksum = sha256_hex(data)
        path = self.path_for(checksum)
        if path.is_file():
            return checksum, False
        write_atomic(path, data)
        return checksum, True

    def adopt(self, source: Path, checksum: str) -> bool:
        """Move a finished temporary file (hashed by the caller while writing it) into place;
        returns whether this call created the blob (else `source` is removed). For files too
        big for memory: videos."""
        path = self.path_for(checksum)
        if path.is_file():
            source.unlink(missing_ok=True)
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, path)
        return True

    def delete(self, checksum: str) -> None:
        self.path_for(checksum).unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
