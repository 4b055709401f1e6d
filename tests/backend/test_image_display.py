"""Images the browser cannot show as they are: 16-bit frames of thermal and scientific cameras
and TIFF files. The original bytes stay untouched (`/file`); what the annotator sees (`/view`),
the thumbnail and the pixels the model reads scale 16 bits over their full range instead of
clipping them to white."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from backend.services.storage import LocalBlobStore
from imaging.pixels import rgb_pixels

from .conftest import png_bytes, upload

# A horizontal ramp over the whole 16-bit range: black at the left, white at the right.
RAMP = np.tile(np.linspace(0, 65535, 64).round().astype(np.uint16), (48, 1))


def encode(array: np.ndarray[Any, Any], fmt: str, **params: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, fmt, **params)
    return buf.getvalue()


def decoded(data: bytes) -> np.ndarray[Any, Any]:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))


def test_sixteen_bit_samples_are_scaled_over_their_range_not_clipped() -> None:
    with Image.open(io.BytesIO(encode(RAMP, "PNG"))) as img:
        assert img.mode == "I;16"
        pixels = rgb_pixels(img)
    assert pixels.dtype == np.uint8 and pixels.shape == (48, 64, 3)
    assert pixels[0, 0].tolist() == [0, 0, 0] and pixels[0, -1].tolist() == [255, 255, 255]
    assert abs(int(pixels[0, 32, 0]) - round(RAMP[0, 32] / 257)) <= 1
    assert 120 < pixels.mean() < 135  # Pillow's own convert("RGB") gives ~254: all white


def test_float_samples_are_scaled_over_their_own_min_and_max() -> None:
    values = np.linspace(-2.0, 6.0, 64 * 48, dtype=np.float32).reshape(48, 64)
    values[0, 0] = np.nan
    with Image.open(io.BytesIO(encode(values, "TIFF"))) as img:
        pixels = rgb_pixels(img)
    assert pixels[0, 0, 0] == 0  # not a number reads as black, not as an error
    assert pixels[0, 1, 0] == 0 and pixels[-1, -1, 0] == 255


def test_a_sixteen_bit_tiff_is_shown_as_a_png_and_kept_as_uploaded(
    admin: TestClient, project: dict[str, Any]
) -> None:
    tiff = encode(RAMP, "TIFF")
    image = upload(admin, project["id"], ("thermal.tif", tiff))["created"][0]
    assert (image["width"], image["height"]) == (64, 48)

    original = admin.get(f"/api/v1/images/{image['id']}/file")
    assert original.headers["content-type"] == "image/tiff" and original.content == tiff

    shown = admin.get(f"/api/v1/images/{image['id']}/view")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    pixels = decoded(shown.content)
    assert pixels.shape == (48, 64, 3)
    assert pixels[0, 0].tolist() == [0, 0, 0] and pixels[0, -1].tolist() == [255, 255, 255]

    thumbnail = decoded(admin.get(f"/api/v1/images/{image['id']}/thumbnail").content)
    assert 100 < thumbnail.mean() < 155  # a ramp, not a white square


def test_formats_browsers_show_are_viewed_as_they_were_uploaded(
    admin: TestClient, project: dict[str, Any]
) -> None:
    sixteen_bit_png = encode(RAMP, "PNG")
    for name, data, media_type in [
        ("a.png", png_bytes(color="blue"), "image/png"),
        ("b.jpg", png_bytes(color="green", fmt="JPEG"), "image/jpeg"),
        ("c.png", sixteen_bit_png, "image/png"),  # browsers scale 16-bit PNGs themselves
    ]:
        image = upload(admin, project["id"], (name, data))["created"][0]
        shown = admin.get(f"/api/v1/images/{image['id']}/view")
        assert (shown.headers["content-type"], shown.content) == (media_type, data)


def test_viewing_an_image_whose_file_is_gone_is_a_clear_404(
    admin: TestClient, project: dict[str, Any], blob_dir: Path
) -> None:
    lost = encode(RAMP[:, ::-1].copy(), "TIFF")  # bytes no other test has viewed (no rendition)
    image = upload(admin, project["id"], ("lost.tif", lost))["created"][0]
    LocalBlobStore(blob_dir).path_for(image["checksum"]).unlink()
    r = admin.get(f"/api/v1/images/{image['id']}/view")
    assert r.status_code == 404 and "missing from storage" in r.json()["detail"]
