"""A huge 16-bit PNG's thumbnail costs about its decoded size, not ~7x more, and the API
decodes only a few images at once (issue 14, item 9)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backend.errors import Overloaded
from backend.services.image_files import decode_slot, make_thumbnail

ROOT = Path(__file__).resolve().parents[2]
PEAK_RSS = """
import resource, sys
from backend.services.image_files import make_thumbnail
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
make_thumbnail(data)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def sixteen_bit_png(side: int) -> bytes:
    """A dark 16-bit frame with one bright square: compresses to a few hundred KB."""
    values = np.full((side, side), 1000, np.uint16)
    values[side // 4 : side // 2, side // 4 : side // 2] = 60000
    buf = io.BytesIO()
    Image.fromarray(values).save(buf, "PNG")
    return buf.getvalue()


def test_a_huge_16_bit_png_thumbnail_costs_about_its_decoded_size(tmp_path: Path) -> None:
    side = 4000  # 16 Mpx: decoded at 2 bytes a sample, 32 MB; it took ~245 MB before
    path = tmp_path / "thermal.png"
    path.write_bytes(sixteen_bit_png(side))
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    peak = int(out.stdout.strip())
    assert peak < 5 * side * side, f"peak RSS grew by {peak / 2**20:.0f} MB"
    thumb = np.asarray(Image.open(io.BytesIO(make_thumbnail(path.read_bytes()))).convert("L"))
    assert thumb.shape == (256, 256)
    assert thumb[96, 96] > 200 and thumb[10, 10] < 10  # the square, scaled over 16 bits


@pytest.mark.parametrize("mode", ["RGB", "I;16"])
def test_a_reduced_thumbnail_keeps_the_exif_orientation(mode: str) -> None:
    image = Image.new(mode, (2400, 1200))  # landscape as stored, factor-4 reduce
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated: portrait
    buf = io.BytesIO()
    image.save(buf, "PNG", exif=exif)
    thumb = Image.open(io.BytesIO(make_thumbnail(buf.getvalue())))
    assert thumb.size == (128, 256)


def test_no_more_than_the_configured_decodes_run_at_once() -> None:
    running, peak = 0, 0
    lock = threading.Lock()

    def decode() -> None:
        nonlocal running, peak
        with decode_slot(2, wait_s=30):
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with lock:
                running -= 1

    threads = [threading.Thread(target=decode) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


def test_a_decode_that_waits_too_long_is_a_503() -> None:
    with decode_slot(1, wait_s=30), pytest.raises(Overloaded) as raised, decode_slot(1, 0.05):
        pass
    assert raised.value.status_code == 503 and raised.value.headers["Retry-After"] == "2"
