"""The model reads an image file into exactly the pixels the API and the annotator's view read
from it, whatever its mode: `worker.ml.data.load_image` (the model library, which may not import
the backend) and `backend.services.image_files.rgb_pixels` are two copies of one rule."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from backend.services.image_files import rgb_pixels
from worker.ml.data import load_image

rng = np.random.default_rng(0)
GRAY16 = rng.integers(0, 65536, (30, 40), dtype=np.uint16)
FLOAT = rng.normal(20.0, 5.0, (30, 40)).astype(np.float32)
RGBA = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)


def _rotated_jpeg() -> Image.Image:
    img = Image.fromarray(RGBA[:, :, :3])
    exif = img.getexif()
    exif[0x0112] = 6  # shown rotated by 90 degrees
    img.info["exif"] = exif.tobytes()
    return img


CASES: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "16-bit PNG": (lambda: Image.fromarray(GRAY16), "PNG", {}),
    "16-bit TIFF": (lambda: Image.fromarray(GRAY16), "TIFF", {}),
    "32-bit float TIFF": (lambda: Image.fromarray(FLOAT), "TIFF", {}),
    "RGBA PNG": (lambda: Image.fromarray(RGBA), "PNG", {}),
    "palette PNG": (lambda: Image.fromarray(RGBA[:, :, :3]).quantize(16), "PNG", {}),
    "gray + alpha PNG": (lambda: Image.fromarray(RGBA[:, :, :2], "LA"), "PNG", {}),
    "CMYK JPEG": (lambda: Image.fromarray(RGBA, "CMYK"), "JPEG", {}),
    "EXIF-rotated JPEG": (_rotated_jpeg, "JPEG", {}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_model_library_and_the_api_read_the_same_pixels(case: str, tmp_path: Path) -> None:
    make, fmt, params = CASES[case]
    img = make()
    path = tmp_path / f"image.{fmt.lower()}"
    exif = img.info.get("exif")
    img.save(path, fmt, **({"exif": exif} if exif else {}), **params)

    with Image.open(io.BytesIO(path.read_bytes())) as opened:
        api_pixels = rgb_pixels(opened)
    model_pixels = load_image(path)

    assert api_pixels.dtype == model_pixels.dtype == np.uint8
    assert api_pixels.shape == model_pixels.shape and api_pixels.shape[2] == 3
    np.testing.assert_array_equal(api_pixels, model_pixels)
    if case == "EXIF-rotated JPEG":
        assert api_pixels.shape[:2] == (40, 30)
    if case.startswith(("16-bit", "32-bit")):
        assert 60 < api_pixels.mean() < 195, "scaled over the range, not clipped to white"
