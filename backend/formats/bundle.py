"""The files of an import (`Bundle`) and the destination of an export (`Sink`).

A bundle gathers loose files, directories and zip archives under relative POSIX names and
reads them one at a time, so an import of thousands of images never holds more than one
image's bytes. Every name is checked at the door: an absolute path or `..` (zip-slip) is
refused before anything is read, and so is a zip member that is encrypted or compressed by a
method Python cannot read. A member found damaged when it is read (bad CRC, corrupt deflate
data, truncated) is a `BadInput` naming the archive and the member, never a crash. The
members' declared sizes bound what reading them can produce (`zipfile` stops there), so
`expanded_bytes` lets a caller refuse a zip bomb before anything is decompressed.
"""

from __future__ import annotations

import io
import lzma
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Protocol, cast

from backend.errors import BadInput, PayloadTooLarge
from backend.formats.common import one_line

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Opener = Callable[[], IO[bytes]]

# What `zipfile` can decompress; anything else (PKWARE's deflate64, implode...) is refused.
READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# The errors a damaged zip member raises while it is opened or read.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    struct.error,
    NotImplementedError,
    RuntimeError,
    OSError,
    ValueError,  # a header offset that seeks before the file's start
)


def safe_name(container: str, name: str) -> str:
    """`name` as a relative POSIX path, or BadInput if it would escape its container."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
        raise BadInput(f"{container}: entry {name!r} points outside the archive")
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts:
        raise BadInput(f"{container}: entry {name!r} has no file name")
    return "/".join(parts)


def _ignored(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return "__MACOSX" in parts or parts[-1].startswith(".")


class Bundle:
    """Named files, read lazily. Names are relative POSIX paths (`labeled-data/v/img.png`)."""

    def __init__(self) -> None:
        self._openers: dict[str, Opener] = {}
        self._archives: list[zipfile.ZipFile] = []
        self._by_basename: dict[str, list[str]] | None = None
        # The sum of the zip members' declared (uncompressed) sizes: at most what reading
        # them all can produce.
        self.expanded_bytes = 0

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for archive in self._archives:
            archive.close()

    def _add(self, container: str, name: str, opener: Opener) -> None:
        name = safe_name(container, name)
        if _ignored(name):
            return
        if name in self._openers:
            raise BadInput(f"{container}: {name} appears more than once in the upload")
        self._openers[name] = opener
        self._by_basename = None

    def add_file(self, name: str, opener: Opener) -> None:
        """A loose uploaded file. A relative name keeps its folders (a browser's folder
        upload sends `labeled-data/v/img001.png`, which the annotation file refers to); an
        absolute or drive path (`C:\\fakepath\\a.png`, the sender's machine) keeps its base
        name; a name with `..` is refused."""
        path = PurePosixPath(name.replace("\\", "/"))
        if path.is_absolute() or (path.parts and path.parts[0].endswith(":")):
            self._add(name, path.name, opener)
            return
        if ".." in path.parts:
            raise BadInput(f"{name}: a file name in the upload may not contain '..'")
        self._add(name, name, opener)

    def add_path(self, path: Path) -> None:
        """A file, a directory (walked, names relative to it) or a .zip archive."""
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    rel = child.relative_to(path).as_posix()
                    self._add(str(path), rel, _file_opener(child))
        elif zipfile.is_zipfile(path):
            self.add_zip(path.name, path)
        elif path.is_file():
            self.add_file(path.name, lambda: path.open("rb"))
        else:
            raise BadInput(f"{path}: no such file or directory")

    def add_zip(self, label: str, source: IO[bytes] | Path) -> None:
        """Entries are listed now and read later, one at a time, while the bundle is open."""
        try:
            archive = zipfile.ZipFile(source)
        except ZIP_ERRORS as exc:
            raise BadInput(f"{label}: not a valid zip archive ({one_line(exc)})") from exc
        self._archives.append(archive)
        for entry in archive.infolist():
            if entry.filename.endswith("/"):  # a directory (is_dir() fails on an empty name)
                continue
            if entry.flag_bits & 0x1:
                raise BadInput(
                    f"{label}: member {entry.filename!r} is encrypted; "
                    "zip it again without a password"
                )
            if entry.compress_type not in READABLE_METHODS:
                raise BadInput(
                    f"{label}: member {entry.filename!r} uses zip compression method "
                    f"{entry.compress_type}, which cannot be read; zip it again with the "
                    "standard (deflate) method"
                )
            self.expanded_bytes += entry.file_size
            self._add(label, entry.filename, _member_opener(label, archive, entry))

    def names(self) -> list[str]:
        return list(self._openers)

    def read(self, name: str, limit: int) -> bytes:
        with self._openers[name]() as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(f"{name}: larger than the {limit}-byte limit")
        return data

    def open(self, name: str) -> IO[bytes]:
        return self._openers[name]()

    def copy_to(self, name: str, target: Path, limit: int) -> None:
        """Copy a file to `target` in chunks, refusing it past `limit` bytes."""
        copied = 0
        with self._openers[name]() as src, target.open("wb") as dst:
            while chunk := src.read(1 << 20):
                copied += len(chunk)
                if copied > limit:
                    raise PayloadTooLarge(f"{name}: larger than the {limit}-byte limit")
                dst.write(chunk)

    def with_suffix(self, *suffixes: str) -> list[str]:
        return [n for n in self._openers if n.lower().endswith(suffixes)]

    def resolve(self, ref: str, near: str = "") -> str | None:
        """The bundle name an annotation file's image reference means, or None.

        Tried in order: the exact path, the path relative to the annotation file (`near`),
        a longer path ending in it, then a unique file of that base name, because tools
        write absolute paths of the labeller's machine or paths relative to elsewhere.
        """
        ref = ref.replace("\\", "/").strip()
        clean = "/".join(p for p in ref.split("/") if p not in ("", "."))
        base = str(PurePosixPath(near).parent) if near else "."
        candidates = [clean, f"{base}/{clean}" if base != "." else clean]
        for candidate in candidates:
            if candidate in self._openers:
                return candidate
        suffixed = [n for n in self._openers if n.endswith("/" + clean)]
        if len(suffixed) == 1:
            return suffixed[0]
        if self._by_basename is None:
            self._by_basename = {}
            for n in self._openers:
                self._by_basename.setdefault(PurePosixPath(n).name, []).append(n)
        same = self._by_basename.get(PurePosixPath(clean).name, [])
        return same[0] if len(same) == 1 else None


def _file_opener(path: Path) -> Opener:
    return lambda: path.open("rb")


def _member_opener(label: str, archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> Opener:
    def open_member() -> IO[bytes]:
        where = f"{label}: member {entry.filename!r}"
        try:
            raw = archive.open(entry)
        except ZIP_ERRORS as exc:
            raise BadInput(f"{where} cannot be read ({one_line(exc)})") from exc
        # Not wrapped in a BufferedReader: its read(n) allocates n bytes up front, and
        # callers read with the upload limit (hundreds of MB) to detect oversized files.
        return cast(IO[bytes], _GuardedMember(where, raw))

    return open_member


class _GuardedMember(io.RawIOBase):
    """A zip member whose read errors (bad CRC, corrupt data) become one-line BadInputs."""

    def __init__(self, where: str, raw: IO[bytes]) -> None:
        self.where, self.raw = where, raw

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        try:
            return self.raw.read(-1 if size is None else size)
        except ZIP_ERRORS as exc:
            raise BadInput(f"{self.where} is damaged ({one_line(exc)})") from exc

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


class Sink(Protocol):
    """Where an export writes its files, by relative POSIX name."""

    def write_bytes(self, name: str, data: bytes) -> None: ...

    def write_path(self, name: str, source: Path) -> None: ...


class ZipSink:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def write_bytes(self, name: str, data: bytes) -> None:
        # Names come from image names: checked here too, so no entry can escape the archive.
        name = safe_name("export", name)
        self.archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)

    def write_path(self, name: str, source: Path) -> None:
        # Images are compressed already; storing them keeps exports fast.
        self.archive.write(source, safe_name("export", name), compress_type=zipfile.ZIP_STORED)


class DirSink:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _target(self, name: str) -> Path:
        target = self.root / safe_name(str(self.root), name)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_bytes(self, name: str, data: bytes) -> None:
        self._target(name).write_bytes(data)

    def write_path(self, name: str, source: Path) -> None:
        shutil.copyfile(source, self._target(name))
