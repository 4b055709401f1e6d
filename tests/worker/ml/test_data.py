from __future__ import annotations

from pathlib import Path

from PIL import Image

from worker.ml.data import load_image


def test_load_image_applies_the_exif_orientation_like_browsers_do(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": stored 40x20, shown 20x40
    Image.new("RGB", (40, 20), "red").save(path, exif=exif)
    assert load_image(path).shape == (40, 20, 3)
