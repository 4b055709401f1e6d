"""Bulk prediction of uploaded files that are not project images.

The API validated and wrote them to `jobs_dir/job-<id>/inputs` (`backend/services/
predict_jobs.py`); this writes `results.jsonl` next to them, one line per input in upload
order, atomically at the end, so a reader never sees half a file and a redelivered job simply
runs again.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

from backend import data_layout
from backend.calibration import Calibration, predicted_point
from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import ModelVersion
from backend.schemas.job_options import PredictOptions
from backend.services.jobs import job_dir
from backend.services.predict_jobs import RESULTS_FILE
from imaging.pixels import rgb_pixels
from worker.device import pick_device
from worker.predicting import CHUNK, load_predictor, mean_confidence


def predict_uploads(
    job_id: int, options: PredictOptions, on_chunk: Callable[[int, int], None] | None = None
) -> int:
    settings = get_settings()
    version_id = options.model_version_id
    with session_scope(settings.database_url) as session:
        version = session.get(ModelVersion, version_id)
        if version is None:
            raise LookupError(f"model version {version_id} no longer exists")
        path = version.path
        calibration = Calibration.from_dict(version.metrics.get("calibration"))
    predictor = load_predictor(path, pick_device())
    names = predictor.schema.names
    folder = job_dir(settings, job_id)
    files = options.files
    lines: list[str] = []
    for start in range(0, len(files), CHUNK):
        chunk = files[start : start + CHUNK]
        pixels = [_read(folder / data_layout.JOB_INPUTS / f.name) for f in chunk]
        for offset, (entry, result) in enumerate(
            zip(chunk, predictor.predict(pixels), strict=True)
        ):
            width, height = entry.width, entry.height
            keypoints = [
                {"name": n, **predicted_point(calibration, c, x, y, width, height)}
                for n, (x, y), c in zip(
                    names, result.xy.tolist(), result.confidence.tolist(), strict=True
                )
            ]
            row = {
                "index": start + offset, "image_id": None, "filename": entry.filename,
                "width": width, "height": height,
                "score": mean_confidence(keypoints), "keypoints": keypoints,
            }  # fmt: skip
            lines.append(json.dumps(row))
        if on_chunk is not None:
            on_chunk(min(start + CHUNK, len(files)), len(files))
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".results-")
    with os.fdopen(handle, "w") as out:
        out.write("\n".join(lines) + "\n")
    os.replace(tmp, folder / RESULTS_FILE)
    return len(lines)


def _read(path: Path) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Pixels as displayed (EXIF applied), the API's image coordinates."""
    with PILImage.open(path) as image:
        return rgb_pixels(image)
