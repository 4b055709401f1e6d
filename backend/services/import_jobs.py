"""Import jobs: the API keeps the upload in the job's folder, the worker imports it.

The API checks the upload's size (all files against `max_import_bytes`, a loose file against
`max_upload_bytes`, or a DeepLabCut, SLEAP or CVAT import's loose video against
`max_video_bytes`, for SLEAP and CVAT the larger of the two; zip members are checked as they
are read), adds a queued job (kind `import`, options `{format, new_project_name, label,
author_id, files}`), copies each uploaded file to `jobs_dir/job-<id>/inputs/<n>` in chunks,
and checks that the files open as a bundle (valid zips, no entry outside its archive) before
the commit; then it sends `keyloop.import`. The worker (`worker/jobs/import_.py`) reopens the
bundle with `open_inputs`, runs `transfer.import_files`, and marks the job succeeded in the
same transaction as the data, with the `ImportResult` in `progress["report"]` and the job's
`project_id` set when the import created the project. The folder is removed when the job ends.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from backend import data_layout
from backend.config import Settings
from backend.errors import BadInput, PayloadTooLarge
from backend.formats.bundle import Bundle, Opener
from backend.formats.common import VIDEO_SUFFIXES
from backend.models import Job, Project, User
from backend.schemas.job_options import ImportedFile, ImportOptions
from backend.services.jobs import create_job, fresh_job_dir
from backend.services.projects import ensure_name_free
from backend.services.transfer import Format, frame_video_limit

INPUTS = data_layout.JOB_INPUTS
COPY_CHUNK = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"


def _check_total_size(sizes: list[int], settings: Settings) -> None:
    """413 before anything is stored when the files of one import add up to too much."""
    total, limit = sum(sizes), settings.max_import_bytes
    if total > limit:
        raise PayloadTooLarge(
            f"the upload is {total} bytes, more than the {limit}-byte limit of one import "
            "(KEYLOOP_MAX_IMPORT_BYTES); split it into several imports"
        )


def _check_expanded_size(total: int, settings: Settings) -> None:
    """The files of one import, zips expanded, are limited as loose files are."""
    limit = settings.max_import_bytes
    if total > limit:
        raise PayloadTooLarge(
            f"the upload expands to {total} bytes once unzipped, more than the {limit}-byte "
            "limit of one import (KEYLOOP_MAX_IMPORT_BYTES); split it into several imports"
        )


def create_import_job(
    session: Session,
    settings: Settings,
    fmt: Format,
    uploads: Sequence[tuple[str, IO[bytes]]],
    *,
    project: Project | None,
    new_project_name: str | None,
    label: str | None,
    user: User,
) -> Job:
    """Add the job row and keep its files; the caller commits, then sends it. `project`
    None: the import creates a project with the file's schema (named `new_project_name`,
    or as the file names its animal)."""
    if not uploads:
        raise BadInput("no files in the upload (use the multipart field 'files')")
    files = [_describe(name, f, settings, fmt) for name, f in uploads]
    _check_total_size([f.bytes for f in files], settings)
    if project is None and new_project_name:
        ensure_name_free(session, new_project_name)
    options = ImportOptions(
        format=fmt.value,
        new_project_name=new_project_name,
        label=label,
        author_id=user.id,
        files=files,
    )
    job = create_job(session, project, options, user)
    folder = fresh_job_dir(settings, job.id)
    try:
        inputs = folder / INPUTS
        inputs.mkdir()
        for n, (_, f) in enumerate(uploads):
            with (inputs / _stored_name(n)).open("wb") as out:
                shutil.copyfileobj(f, out, COPY_CHUNK)
        # A broken zip, an entry outside its archive, an encrypted member: a 422 now, not a
        # failed job. A zip bomb: a 413, from the sizes its members declare.
        with open_inputs(inputs, files) as bundle:
            loose = sum(f.bytes for f in files if not f.zip)
            _check_expanded_size(loose + bundle.expanded_bytes, settings)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return job


def _describe(name: str, f: IO[bytes], settings: Settings, fmt: Format) -> ImportedFile:
    size = f.seek(0, 2)
    f.seek(0)
    zipped = name.lower().endswith(".zip") or f.read(4) == ZIP_MAGIC
    f.seek(0)
    # A zip's members are checked one by one as they are read; a loose file here. A
    # DeepLabCut, SLEAP or CVAT import streams its videos to the store as a video upload does;
    # SLEAP and CVAT read frames from it too, so either limit lets it in (`frame_video_limit`).
    video = fmt in (Format.dlc, Format.sleap, Format.cvat) and name.lower().endswith(VIDEO_SUFFIXES)
    limit = settings.max_upload_bytes
    if video:
        reads_frames = fmt in (Format.sleap, Format.cvat)
        limit = frame_video_limit(settings) if reads_frames else settings.max_video_bytes
    if not zipped and size > limit:
        kind = "video" if video else "upload"
        raise PayloadTooLarge(f"{name}: larger than the {limit}-byte {kind} limit")
    return ImportedFile(name=name, zip=zipped, bytes=size)


def _stored_name(n: int) -> str:
    # Uploaded names may repeat or be unsafe as paths; the bundle uses the uploaded ones.
    return f"{n:04d}"


def _opener(path: Path) -> Opener:
    return lambda: path.open("rb")


def open_inputs(inputs: Path, files: list[ImportedFile]) -> Bundle:
    """The job's files as the bundle the upload was (loose files by name, zips expanded)."""
    bundle = Bundle()
    try:
        for n, entry in enumerate(files):
            path = inputs / _stored_name(n)
            if entry.zip:
                bundle.add_zip(entry.name, path)
            else:
                bundle.add_file(entry.name, _opener(path))
    except BaseException:
        bundle.close()
        raise
    return bundle
