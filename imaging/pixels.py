"""Reading an image file into the 8-bit RGB pixels it is displayed as.

Keypoints are stored in displayed coordinates, so EXIF orientation is applied. 16-bit samples
(thermal and scientific cameras) are scaled to 8 bits over their full range as browsers show a
16-bit PNG, float samples over their own min-max: Pillow's `convert("RGB")` alone clips wide
samples at 255, which turns a 16-bit frame white. Alpha is dropped (not composited), palette and
CMYK images convert as Pillow converts them. Thumbnails, the TIFF rendition, ONNX and bulk
prediction, training and evaluation all read pixels through here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

WIDE_INTEGER_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
BAND_ROWS = 256  # rows converted at a time from 16-bit or float samples


def displayed_image(img: Image.Image) -> Image.Image:
    """The image as it is shown, in a mode `convert("RGB")` maps without loss of range.
    8-bit images keep their mode, so a thumbnail can be resized before it is converted."""
    img = ImageOps.exif_transpose(img)
    if img.mode not in WIDE_INTEGER_MODES and img.mode != "F":
        return img
    # Band by band: a 64-Mpx 16-bit frame needs its 8-bit output and a few MB more, not
    # ~1 GB of full-size temporaries (issue 14, item 9). Same arithmetic, same bytes.
    width, height = img.size
    low, span = _float_range(img) if img.mode == "F" else (0.0, 1.0)
    gray = np.empty((height, width), np.uint8)
    for top in range(0, height, BAND_ROWS):
        band = np.asarray(img.crop((0, top, width, min(height, top + BAND_ROWS))))
        gray[top : top + BAND_ROWS] = (
            _float_to_8bit(band, low, span) if img.mode == "F" else wide_to_8bit(band)
        )
    return Image.fromarray(gray, "L")


def rgb_pixels(img: Image.Image) -> NDArray[np.uint8]:
    """(H, W, 3) uint8 pixels of `displayed_image`: what the model is fed."""
    return np.asarray(displayed_image(img).convert("RGB"))


def wide_to_8bit(values: NDArray[Any]) -> NDArray[np.uint8]:
    """16-bit samples to 8 bits: round(v * 255 / 65535), in integers (no ties exist), so
    4 bytes a pixel rather than 8 for floats."""
    wide = np.clip(values, 0, 65535).astype(np.uint32)
    gray: NDArray[np.uint8] = ((wide * 255 + 32767) // 65535).astype(np.uint8)
    return gray


def _float_to_8bit(values: NDArray[Any], low: float, span: float) -> NDArray[np.uint8]:
    scaled = np.rint((values.astype(np.float32) - low) / span * 255.0)
    gray: NDArray[np.uint8] = np.clip(np.nan_to_num(scaled), 0, 255).astype(np.uint8)
    return gray


def _float_range(img: Image.Image) -> tuple[float, float]:
    """(min, max - min) of the finite samples of a float image, read band by band."""
    low, high = np.inf, -np.inf
    width, height = img.size
    for top in range(0, height, BAND_ROWS):
        band = np.asarray(img.crop((0, top, width, min(height, top + BAND_ROWS))), np.float32)
        finite = np.isfinite(band)
        low = min(low, float(np.min(band, where=finite, initial=np.inf)))
        high = max(high, float(np.max(band, where=finite, initial=-np.inf)))
    return low, (high - low if high > low else 1.0)
