"""A large import streams: thousands of images pass through one at a time, so the memory it
takes does not grow with the bytes of the images."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from backend.config import Settings
from backend.db.session import session_scope
from backend.formats.bundle import Bundle
from backend.models import Annotation, Image, Role
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format, import_files
from backend.services.users import create_user
from tests.backend.formats.helpers import coco_doc

pytestmark = pytest.mark.slow

N_IMAGES, WIDTH, HEIGHT = 2000, 64, 48
KPS = [(10.0, 12.0, 2), (20.0, 22.0, 1), (0, 0, 0), (30.0, 40.0, 2)]


def _coco_zip(path: Path) -> int:
    """A zip of N noise PNGs (noise does not compress, so each is ~9 KB) and their COCO file,
    written one image at a time; returns the images' total size in bytes."""
    rng = np.random.default_rng(0)
    total, items = 0, []
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(N_IMAGES):
            buf = io.BytesIO()
            pixels = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
            PILImage.fromarray(pixels).save(buf, "PNG")
            name = f"images/{i:05d}.png"
            archive.writestr(name, buf.getvalue())
            total += buf.tell()
            items.append({"file": name, "w": WIDTH, "h": HEIGHT, "kps": KPS})
        archive.writestr("annotations.json", json.dumps(coco_doc(items)))
    return total


def test_a_large_import_holds_one_image_at_a_time(live_settings: Settings, tmp_path: Path) -> None:
    all_images = _coco_zip(tmp_path / "large.zip")
    url = live_settings.database_url
    with session_scope(url) as session:
        author_id = create_user(session, "a@example.com", "long-enough-pw", Role.admin).id

    tracemalloc.start()
    try:
        with Bundle() as bundle:
            bundle.add_path(tmp_path / "large.zip")
            report = import_files(
                lambda: session_scope(url),
                LocalBlobStore(live_settings.files_dir),
                live_settings,
                Format.coco,
                bundle,
                project_id=None,
                new_project_name="large",
                author_id=author_id,
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (report.images_created, report.annotations_saved) == (N_IMAGES, N_IMAGES)
    with session_scope(url) as session:
        assert session.scalar(select(func.count()).select_from(Image)) == N_IMAGES
        assert session.scalar(select(func.count()).select_from(Annotation)) == N_IMAGES
    # Holding every image's bytes at once would take at least `all_images` (~18 MB); the
    # import's own bookkeeping (zip directory, parsed COCO file, per-item metadata) is small.
    assert peak < all_images / 2, f"peak {peak} bytes traced; the images are {all_images}"
