"""Turning uploaded bytes into validated images: decoding, limits, zips, thumbnails."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from backend.errors import BadInput, PayloadTooLarge, UnsupportedMedia

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
WIDE_INTEGER_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N"}


@dataclass(frozen=True)
class DecodedImage:
    filename: str  # where it came from, for messages: "upload.zip:frames/a.png"
    data: bytes
    width: int
    height: int
    media_type: str
    name: str = ""  # the file's own name, stored as the image's original name

    @property
    def original_name(self) -> str:
        return self.name or PurePosixPath(self.filename.replace("\\", "/")).name


def decode_image(filename: str, data: bytes, *, max_pixels: int) -> DecodedImage:
    """Check that `data` is a complete image of an accepted format within the pixel limit."""
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
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise PayloadTooLarge(f"{filename}: image too large to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedMedia(f"{filename}: not a recognised image file") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(f"{filename}: corrupt or truncated image ({exc})") from exc
    if fmt not in ACCEPTED_FORMATS:
        raise UnsupportedMedia(f"{filename}: image format {fmt or 'unknown'} is not accepted")
    return DecodedImage(filename, data, width, height, ACCEPTED_FORMATS[fmt])


def _has_rotation(img: PILImage.Image) -> bool:
    # EXIF orientations 5-8 swap width and height; browsers display the rotated image.
    return img.getexif().get(0x0112, 1) in (5, 6, 7, 8)


def iter_zip_images(
    filename: str, data: bytes, *, max_pixels: int, max_total_bytes: int
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
            decoded = decode_image(f"{filename}:{entry.filename}", content, max_pixels=max_pixels)
            yield replace(decoded, name=name.name)


def _check_entry_path(archive_name: str, entry_name: str) -> None:
    path = PurePosixPath(entry_name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
        raise BadInput(f"{archive_name}: entry {entry_name!r} points outside the archive")


def is_zip(filename: str, data: bytes) -> bool:
    return filename.lower().endswith(".zip") or data[:4] == b"PK\x03\x04"


def displayed_image(img: PILImage.Image) -> PILImage.Image:
    """The image as it is shown, in a mode `convert("RGB")` maps without loss of range: EXIF
    orientation applied; 16-bit samples (thermal and scientific cameras) scaled to 8 bits over
    their full range as browsers show a 16-bit PNG, float samples over their own min-max.
    Pillow's `convert("RGB")` alone clips wide samples at 255, which turns a 16-bit frame white.
    8-bit images keep their mode, so a thumbnail is resized before it is converted.
    `worker.ml.data.load_image` reads files the same way (tests/worker/test_pixels_agree.py),
    so the model sees what the annotator saw."""
    img = ImageOps.exif_transpose(img)
    if img.mode in WIDE_INTEGER_MODES:
        # round(v * 255 / 65535) in integers (no ties exist): 4 bytes a pixel, not 8 for floats.
        wide = np.clip(np.asarray(img), 0, 65535).astype(np.uint32)
        gray = (wide * 255 + 32767) // 65535
    elif img.mode == "F":
        values = np.asarray(img, dtype=np.float32)
        finite = np.isfinite(values)
        low = float(np.min(values, where=finite, initial=np.inf))
        high = float(np.max(values, where=finite, initial=-np.inf))
        span = high - low if high > low else 1.0
        gray = np.clip(np.nan_to_num(np.rint((values - low) / span * 255.0)), 0, 255)
    else:
        return img
    return PILImage.fromarray(gray.astype(np.uint8), "L")


def rgb_pixels(img: PILImage.Image) -> NDArray[np.uint8]:
    """8-bit RGB pixels of `displayed_image`: what ONNX and bulk prediction feed the model."""
    return np.asarray(displayed_image(img).convert("RGB"))


def make_thumbnail(data: bytes, side: int = THUMBNAIL_SIDE) -> bytes:
    with PILImage.open(io.BytesIO(data)) as img:
        shown = displayed_image(img)
    shown.thumbnail((side, side))
    out = io.BytesIO()
    shown.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


def make_rendition(data: bytes) -> bytes:
    """A PNG any browser displays, for an accepted format none does (TIFF); pixels as
    `rgb_pixels` reads them, orientation already applied."""
    with PILImage.open(io.BytesIO(data)) as img:
        shown = displayed_image(img).convert("RGB")
    out = io.BytesIO()
    shown.save(out, format="PNG", compress_level=1)  # written once per image, read often
    return out.getvalue()
