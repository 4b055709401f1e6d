"""Turning uploaded bytes into validated images: decoding, limits, zips, thumbnails."""

from __future__ import annotations

import io
import threading
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import numpy as np
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from backend.errors import BadInput, Overloaded, PayloadTooLarge, UnsupportedMedia
from imaging.pixels import BAND_ROWS, WIDE_INTEGER_MODES, displayed_image, wide_to_8bit

ACCEPTED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}
# What every browser's <img> shows as it is; other accepted formats (TIFF) get a PNG rendition.
BROWSER_MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp", "image/bmp"}
THUMBNAIL_SIDE = 256


@dataclass(frozen=True)
class DecodedImage:
    filename: str  # where it came from, for messages: "upload.zip:frames/a.png"
    data: bytes
    width: int
    height: int
    media_type: str
    name: str = ""  # the file's own name, stored as the image's original name
    thumbnail: bytes | None = None  # made from this decode when asked (`with_thumbnail`)

    @property
    def original_name(self) -> str:
        return self.name or PurePosixPath(self.filename.replace("\\", "/")).name


def decode_image(
    filename: str, data: bytes, *, max_pixels: int, with_thumbnail: bool = False
) -> DecodedImage:
    """Check that `data` is a complete image of an accepted format within the pixel limit.
    `with_thumbnail` also makes its thumbnail from this decode: an image about to be stored
    gets one for the price of a resize, instead of a second decode at its first display."""
    thumbnail = None
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; we make any excess an error.
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                width, height = img.size
                if width * height > max_pixels:
                    raise PayloadTooLarge(
                        f"{filename}: {width}x{height} exceeds the limit of {max_pixels} pixels"
                    )
                if _has_rotation(img):
                    width, height = height, width
                img.load()  # a full decode: truncated files fail here, not in training
                if with_thumbnail and fmt in ACCEPTED_FORMATS:
                    thumbnail = thumbnail_jpeg(img)
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise PayloadTooLarge(f"{filename}: image too large to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedMedia(f"{filename}: not a recognised image file") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(f"{filename}: corrupt or truncated image ({exc})") from exc
    if fmt not in ACCEPTED_FORMATS:
        raise UnsupportedMedia(f"{filename}: image format {fmt or 'unknown'} is not accepted")
    return DecodedImage(filename, data, width, height, ACCEPTED_FORMATS[fmt], thumbnail=thumbnail)


def _has_rotation(img: PILImage.Image) -> bool:
    # EXIF orientations 5-8 swap width and height; browsers display the rotated image.
    return img.getexif().get(0x0112, 1) in (5, 6, 7, 8)


def iter_zip_images(
    filename: str,
    data: bytes,
    *,
    max_pixels: int,
    max_total_bytes: int,
    with_thumbnail: bool = False,
) -> Iterator[DecodedImage]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BadInput(f"{filename}: not a valid zip archive") from exc
    with archive:
        entries = [e for e in archive.infolist() if not e.is_dir()]
        for entry in entries:
            _check_entry_path(filename, entry.filename)
        total = sum(e.file_size for e in entries)
        if total > max_total_bytes:
            raise PayloadTooLarge(
                f"{filename}: uncompressed size {total} bytes exceeds {max_total_bytes}"
            )
        for entry in entries:
            name = PurePosixPath(entry.filename)
            if name.name.startswith(".") or "__MACOSX" in name.parts:
                continue
            with archive.open(entry) as member:
                content = member.read(max_total_bytes + 1)
            decoded = decode_image(
                f"{filename}:{entry.filename}",
                content,
                max_pixels=max_pixels,
                with_thumbnail=with_thumbnail,
            )
            yield replace(decoded, name=name.name)


def _check_entry_path(archive_name: str, entry_name: str) -> None:
    path = PurePosixPath(entry_name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
        raise BadInput(f"{archive_name}: entry {entry_name!r} points outside the archive")


def is_zip(filename: str, data: bytes) -> bool:
    return filename.lower().endswith(".zip") or data[:4] == b"PK\x03\x04"


def make_thumbnail(data: bytes, side: int = THUMBNAIL_SIDE) -> bytes:
    """A JPEG of at most `side` pixels a side. The image is decoded at reduced resolution
    where the format allows (JPEG's DCT scaling) and box-reduced before anything else, so a
    thumbnail costs little more than the decoded file itself."""
    with PILImage.open(io.BytesIO(data)) as img:
        img.draft(img.mode, (side, side))  # JPEG: decoded at 1/2 .. 1/8 scale
        return thumbnail_jpeg(img, side)


def thumbnail_jpeg(img: PILImage.Image, side: int = THUMBNAIL_SIDE) -> bytes:
    """The thumbnail JPEG of an opened (or already decoded) image, shown as browsers show it."""
    # Box-reduced to 1-2x the thumbnail first: the resize after it is a cheap one (about
    # a third of a 640x480 thumbnail's cost), at no visible loss in a 256-px preview.
    shown = displayed_image(_reduced(img, side))
    shown.thumbnail((side, side))
    out = io.BytesIO()
    shown.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


def _reduced(img: PILImage.Image, at_least: int) -> PILImage.Image:
    """`img` averaged over integer-sized boxes, its longer side still `at_least` pixels, its
    EXIF orientation kept for `displayed_image`. Pillow cannot reduce 16-bit modes, so those
    are scaled to 8 bits and reduced band by band, never copied at full size."""
    factor = max(img.size) // at_least
    if factor < 2:
        return img
    exif = img.getexif().tobytes()
    if img.mode not in WIDE_INTEGER_MODES or img.mode == "I":
        small = img.reduce(factor)
    else:
        width, height = img.size
        small = PILImage.new("L", (-(-width // factor), -(-height // factor)))
        rows = factor * max(1, BAND_ROWS // factor)
        for top in range(0, height, rows):
            band = np.asarray(img.crop((0, top, width, min(height, top + rows))))
            small.paste(
                PILImage.fromarray(wide_to_8bit(band), "L").reduce(factor), (0, top // factor)
            )
    small.info["exif"] = exif
    return small


@contextmanager
def decode_slot(concurrency: int, wait_s: float) -> Iterator[None]:
    """At most `concurrency` full decodes (thumbnails, renditions) at once in this process,
    since each holds a whole image in memory; a caller that waits `wait_s` in vain gets 503."""
    gate = _decode_gates.setdefault(concurrency, threading.BoundedSemaphore(concurrency))
    if not gate.acquire(timeout=wait_s):
        raise Overloaded(f"{concurrency} images are being decoded; retry shortly", retry_after_s=2)
    try:
        yield
    finally:
        gate.release()


_decode_gates: dict[int, threading.BoundedSemaphore] = {}


def make_rendition(data: bytes) -> bytes:
    """A PNG any browser displays, for an accepted format none does (TIFF); pixels as
    `imaging.pixels.rgb_pixels` reads them, orientation already applied."""
    with PILImage.open(io.BytesIO(data)) as img:
        shown = displayed_image(img).convert("RGB")
    out = io.BytesIO()
    shown.save(out, format="PNG", compress_level=1)  # written once per image, read often
    return out.getvalue()
