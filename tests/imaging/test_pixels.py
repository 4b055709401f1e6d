"""An image file reads as the 8-bit RGB pixels the annotator sees: upright as displayed, wide
samples scaled over their range, alpha dropped. The API and the model both read through here."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from imaging.pixels import BAND_ROWS, displayed_image, rgb_pixels

RED, BLUE = (220, 20, 20), (20, 20, 220)


def reopened(img: Image.Image, fmt: str, **params: Any) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return Image.open(io.BytesIO(buf.getvalue()))


def test_an_exif_rotated_photo_reads_upright_as_browsers_show_it() -> None:
    stored = np.empty((30, 40, 3), np.uint8)  # 40 wide, 30 high; its left quarter red
    stored[:, :] = BLUE
    stored[:, :10] = RED
    img = Image.fromarray(stored)
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    with reopened(img, "JPEG", exif=exif.tobytes(), quality=95) as opened:
        pixels = rgb_pixels(opened)
    assert pixels.shape == (40, 30, 3)  # displayed 30 wide, 40 high
    assert np.abs(pixels[3, 15].astype(int) - RED).max() < 20  # the left side is now on top
    assert np.abs(pixels[35, 15].astype(int) - BLUE).max() < 20


def test_a_16_bit_png_is_scaled_over_its_full_range_not_clipped_to_white() -> None:
    ramp = np.tile(np.array([0, 257, 32767, 32768, 65535], np.uint16), (4, 1))
    with reopened(Image.fromarray(ramp), "PNG") as opened:
        assert opened.mode == "I;16"
        pixels = rgb_pixels(opened)
    assert pixels.dtype == np.uint8 and pixels.shape == (4, 5, 3)
    assert pixels[0, :, 0].tolist() == [0, 1, 127, 128, 255]  # round(v * 255 / 65535)
    assert (pixels == pixels[:, :, :1]).all(), "gray: three equal channels"


def test_a_16_bit_image_taller_than_a_band_is_scaled_the_same_in_every_row() -> None:
    rng = np.random.default_rng(0)
    wide = rng.integers(0, 65536, (2 * BAND_ROWS + 7, 9), dtype=np.uint16)
    with reopened(Image.fromarray(wide), "TIFF") as opened:
        pixels = rgb_pixels(opened)
    expected = (wide.astype(np.uint64) * 255 + 32767) // 65535
    np.testing.assert_array_equal(pixels[:, :, 0], expected)


def test_float_samples_span_the_whole_image_range_and_not_a_number_reads_black() -> None:
    values = np.zeros((2 * BAND_ROWS, 4), np.float32)
    values[BAND_ROWS:] = 100.0  # the second band alone holds the maximum
    values[0, 0] = np.nan
    values[0, 1] = -100.0
    with reopened(Image.fromarray(values), "TIFF") as opened:
        pixels = rgb_pixels(opened)[:, :, 0]
    assert pixels[0, 0] == 0 and pixels[0, 1] == 0
    assert pixels[1, 0] == 128  # 0 is halfway between -100 and 100 over the whole image
    assert (pixels[BAND_ROWS:] == 255).all()


def test_alpha_is_dropped_not_composited_over_a_background() -> None:
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., :3] = RED
    rgba[0, 0, 3] = 0  # fully transparent: its colour is still what the model reads
    rgba[1, 1, 3] = 255
    with reopened(Image.fromarray(rgba, "RGBA"), "PNG") as opened:
        pixels = rgb_pixels(opened)
    assert pixels[0, 0].tolist() == list(RED) and pixels[1, 1].tolist() == list(RED)


def test_grayscale_and_palette_images_read_as_their_rgb_colours() -> None:
    gray = np.array([[0, 100], [200, 255]], np.uint8)
    with reopened(Image.fromarray(gray, "L"), "PNG") as opened:
        assert rgb_pixels(opened)[:, :, 2].tolist() == gray.tolist()
    palette = Image.new("P", (2, 1))
    palette.putpalette([*RED, *BLUE])
    palette.putpixel((1, 0), 1)
    with reopened(palette, "PNG") as opened:
        assert rgb_pixels(opened).tolist() == [[list(RED), list(BLUE)]]


def test_an_8_bit_image_keeps_its_mode_so_a_thumbnail_is_resized_before_conversion() -> None:
    palette = Image.new("P", (3, 3))
    assert displayed_image(palette).mode == "P"
    assert displayed_image(Image.new("I;16", (3, 3))).mode == "L"
