"""Every path under `KEYLOOP_DATA_DIR`, built and read back in one place.

```
keyloop.db, celery-results.db, .dev-secret-key   SQLite defaults and the dev secret (config.py)
broker/, celerybeat-schedule                     the filesystem broker, beat's state
files/ab/cd/<sha256>                             blobs: images and videos (services/storage.py)
thumbnails/<sha256>.jpg, renditions/<sha256>.png derived from image blobs, remade on demand
video-frames/<video sha256>/<index>.png          decoded frames cached for the annotator
jobs/job-<id>/                                   a job's own folder: inputs/ (uploads), results
models/project-<id>/job-<id>.work/               a training job's work folder: worker.ml.train's
                                                 best.pt and last.pt (resume), staging/
models/project-<id>/version-job-<id>/            a published model version: model.pt,
                                                 config.json, model.onnx
```

The worker builds these paths and `keyloop gc` (`services/garbage.py`) reads them back with
`place_of` to decide what is garbage, so both sides use this module and a name changed here
changes both (tests/backend/test_data_layout.py). Names already on disk in deployed data
directories must keep their meaning: add kinds rather than rename them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

DATABASE, RESULTS_DATABASE, DEV_SECRET = "keyloop.db", "celery-results.db", ".dev-secret-key"
FILES, MODELS, JOBS, BROKER = "files", "models", "jobs", "broker"
THUMBNAILS, RENDITIONS, VIDEO_FRAMES = "thumbnails", "renditions", "video-frames"
BEAT_SCHEDULE = "celerybeat-schedule"
JOB_INPUTS = "inputs"  # in a job folder: the files the API received for it
VERSION_WEIGHTS, VERSION_CONFIG = "model.pt", "config.json"

_JOB = re.compile(r"job-(\d+)")
_PROJECT = re.compile(r"project-(\d+)")
_WORK = re.compile(r"job-(\d+)\.work")
_VERSION = re.compile(r"version-job-(\d+)")
_FRAME = re.compile(r"(\d+)\.png")


class Kind(StrEnum):
    thumbnail = "thumbnail"
    rendition = "rendition"
    video_frame = "video_frame"
    job = "job"  # jobs/job-<id>
    project_models = "project_models"  # models/project-<id>
    training_work = "training_work"  # models/project-<id>/job-<id>.work
    version = "version"  # models/project-<id>/version-job-<id>


@dataclass(frozen=True)
class Place:
    """What a path under the data directory is, and whose."""

    kind: Kind
    project_id: int | None = None
    job_id: int | None = None
    checksum: str | None = None
    index: int | None = None


def thumbnail(data_dir: Path, checksum: str) -> Path:
    return data_dir / THUMBNAILS / f"{checksum}.jpg"


def rendition(data_dir: Path, checksum: str) -> Path:
    return data_dir / RENDITIONS / f"{checksum}.png"


def video_frame(data_dir: Path, video_checksum: str, index: int) -> Path:
    return data_dir / VIDEO_FRAMES / video_checksum / f"{index}.png"


def job_dir(data_dir: Path, job_id: int) -> Path:
    return data_dir / JOBS / f"job-{job_id}"


def project_models(data_dir: Path, project_id: int) -> Path:
    return data_dir / MODELS / f"project-{project_id}"


def training_work(data_dir: Path, project_id: int, job_id: int) -> Path:
    """Kept while the job may be redelivered, so a new worker resumes from its `last.pt`."""
    return project_models(data_dir, project_id) / f"job-{job_id}.work"


def version_dir(data_dir: Path, project_id: int, job_id: int) -> Path:
    """The folder of the version a training job publishes (`ModelVersion.path`)."""
    return project_models(data_dir, project_id) / f"version-job-{job_id}"


def version_weights(version_path: Path | str) -> Path:
    return Path(version_path) / VERSION_WEIGHTS


def place_of(data_dir: Path, path: Path) -> Place | None:
    """What `path` is, or None for a path this layout does not name (gc leaves those to the
    rules of the folder they are in)."""
    try:
        parts = path.relative_to(data_dir).parts
    except ValueError:
        return None
    match parts:
        case (top, name) if top in (THUMBNAILS, RENDITIONS):
            suffix = ".jpg" if top == THUMBNAILS else ".png"
            if not name.endswith(suffix) or name.startswith("."):
                return None
            kind = Kind.thumbnail if top == THUMBNAILS else Kind.rendition
            return Place(kind, checksum=name.removesuffix(suffix))
        case (top, checksum, name) if top == VIDEO_FRAMES and (frame := _FRAME.fullmatch(name)):
            return Place(Kind.video_frame, checksum=checksum, index=int(frame.group(1)))
        case (top, name) if top == JOBS and (job := _JOB.fullmatch(name)):
            return Place(Kind.job, job_id=int(job.group(1)))
        case (top, name, *rest) if top == MODELS and (project := _PROJECT.fullmatch(name)):
            return _in_project(int(project.group(1)), rest)
    return None


def _in_project(project_id: int, rest: list[str]) -> Place | None:
    match rest:
        case []:
            return Place(Kind.project_models, project_id=project_id)
        case [name] if work := _WORK.fullmatch(name):
            return Place(Kind.training_work, project_id=project_id, job_id=int(work.group(1)))
        case [name] if version := _VERSION.fullmatch(name):
            return Place(Kind.version, project_id=project_id, job_id=int(version.group(1)))
    return None
