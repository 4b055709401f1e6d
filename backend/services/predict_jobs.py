"""Bulk prediction jobs: admission (a bound per project), uploaded inputs, and results.

A job predicts either project images by id (`PredictOptions.source == "images"`, results are the
`Prediction` rows of its version) or uploaded files that never become project images
(`"upload"`): they are validated like image uploads, written to `jobs_dir/job-<id>/inputs`,
and the worker writes `results.jsonl` there. Both page the same way and export to COCO.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import data_layout
from backend.config import Settings
from backend.errors import BadInput, Conflict, TooManyRequests
from backend.models import (
    Image,
    Job,
    JobKind,
    JobState,
    ModelVersion,
    Prediction,
    Project,
    User,
)
from backend.models.ml import ACTIVE_JOB_STATES
from backend.schemas.job_options import PredictedUpload, PredictOptions, options_of
from backend.services.image_files import DecodedImage
from backend.services.images import UploadedFile, decoded_files
from backend.services.jobs import create_job, fresh_job_dir, job_dir
from backend.services.projects import get_project
from backend.services.storage import write_atomic

RESULTS_FILE = "results.jsonl"
MEDIA_SUFFIX = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
}


def check_capacity(session: Session, project: Project, settings: Settings) -> None:
    """429 when the project already has its share of queued or running prediction jobs."""
    active = session.scalar(
        select(func.count(Job.id)).where(
            Job.project_id == project.id,
            # Whole-video predictions share the bound: they wait on the same queue.
            Job.kind.in_((JobKind.predict, JobKind.predict_video)),
            Job.state.in_(ACTIVE_JOB_STATES),
        )
    )
    limit = settings.max_bulk_jobs_per_project
    if (active or 0) >= limit:
        raise TooManyRequests(
            f"project {project.id} already has {active} prediction jobs queued or running "
            f"(at most {limit}); wait for one to finish or cancel one",
        )


def decoded_uploads(files: Iterable[UploadedFile], settings: Settings) -> list[DecodedImage]:
    """Every image in `files` (zips expanded), all validated before anything is stored."""
    return list(
        decoded_files(
            files, max_pixels=settings.max_image_pixels, max_bytes=settings.max_upload_bytes
        )
    )


def create_upload_job(
    session: Session,
    settings: Settings,
    project: Project,
    version: ModelVersion,
    images: list[DecodedImage],
    user: User,
) -> Job:
    """Add the job row and write its inputs; the caller commits, then sends it."""
    if not images:
        raise BadInput("the upload holds no images")
    entries = [
        PredictedUpload(
            name=f"{i:06d}{MEDIA_SUFFIX[d.media_type]}",
            filename=d.filename,
            width=d.width,
            height=d.height,
        )
        for i, d in enumerate(images)
    ]
    options = PredictOptions(model_version_id=version.id, source="upload", files=entries)
    job = create_job(session, project, options, user)
    inputs = fresh_job_dir(settings, job.id) / data_layout.JOB_INPUTS
    try:
        for entry, image in zip(entries, images, strict=True):
            write_atomic(inputs / entry.name, image.data)
    except BaseException:
        shutil.rmtree(job_dir(settings, job.id), ignore_errors=True)
        raise
    return job


def prediction_job(session: Session, job: Job) -> PredictOptions:
    """The options of a prediction job whose results can be read now (422 or 409 if not)."""
    if job.kind != JobKind.predict:
        raise BadInput(f"job {job.id} is a {job.kind.value} job, not a prediction job")
    if job.state != JobState.succeeded:
        detail = f": {job.error}" if job.error else ""
        raise Conflict(
            f"job {job.id} is {job.state.value}{detail}; results are available once it succeeds",
            extra={"state": job.state.value},
        )
    return options_of(job, PredictOptions)


def prediction_project(session: Session, job: Job) -> Project:
    """The project of a prediction job whose results can be read now (422 or 409 if not)."""
    prediction_job(session, job)
    assert job.project_id is not None, "only an import that creates its project has none"
    return get_project(session, job.project_id)


def results(
    session: Session,
    settings: Settings,
    project: Project,
    job: Job,
    offset: int,
    limit: int | None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of `{index, image_id, filename, width, height, score, keypoints}` and the total."""
    options = prediction_job(session, job)
    stop = None if limit is None else offset + limit
    if options.source == "upload":
        path = job_dir(settings, job.id) / RESULTS_FILE
        if not path.is_file():
            raise Conflict(
                f"job {job.id}'s results are gone (finished jobs keep them "
                f"{settings.job_retention_days:g} days); run it again"
            )
        lines = path.read_text().splitlines()
        return [json.loads(line) for line in lines[offset:stop]], len(lines)
    query = (
        select(Image, Prediction)
        .join(Prediction, Prediction.image_id == Image.id)
        .where(
            Image.project_id == project.id,
            Prediction.model_version_id == options.model_version_id,
        )
    )
    if options.image_ids is not None:
        query = query.where(Image.id.in_(options.image_ids))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Image.id).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    names = project.keypoint_names
    items = [
        {
            "index": offset + n,
            "image_id": image.id,
            "filename": image.original_name,
            "width": image.width,
            "height": image.height,
            "score": prediction.score,
            "keypoints": [
                {
                    "name": name,
                    "x": p["x"],
                    "y": p["y"],
                    "confidence": min(1.0, max(0.0, p["confidence"])),  # older rows: raw peaks
                    "doubt": p.get("doubt"),
                }
                for name, p in zip(names, prediction.keypoints, strict=False)
                if p.get("x") is not None
            ],
        }
        for n, (image, prediction) in enumerate(session.execute(page).all())
    ]
    return items, total


def to_coco(
    project: Project, job: Job, items: list[dict[str, Any]], min_confidence: float
) -> dict[str, Any]:
    """COCO keypoints with `score` and per-keypoint `keypoint_scores`.

    Visibility: 2 where confidence >= `min_confidence`, else 1 ("placed but not visible"):
    the position is still the model's best guess, and a weak peak usually means the keypoint
    is occluded. COCO's v=0 (not labeled) would throw that guess away.
    """
    names = project.keypoint_names
    index = {n: i for i, n in enumerate(names)}
    skeleton = project.keypoint_schema.get("skeleton", [])
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for item in items:
        image_id = item["image_id"] if item["image_id"] is not None else item["index"] + 1
        images.append(
            {
                "id": image_id,
                "file_name": item["filename"],
                "width": item["width"],
                "height": item["height"],
            }
        )
        flat: list[float] = [0.0] * (3 * len(names))
        scores = [0.0] * len(names)
        xs, ys = [], []
        for point in item["keypoints"]:
            i = index.get(point["name"])
            if i is None:
                continue
            visible = point["confidence"] >= min_confidence
            flat[3 * i : 3 * i + 3] = [point["x"], point["y"], 2 if visible else 1]
            scores[i] = point["confidence"]
            xs.append(point["x"])
            ys.append(point["y"])
        x0, y0 = (min(xs), min(ys)) if xs else (0.0, 0.0)
        w, h = (max(xs) - x0, max(ys) - y0) if xs else (0.0, 0.0)
        annotations.append(
            {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": 1,
                "keypoints": flat,
                "num_keypoints": len(xs),
                "keypoint_scores": scores,
                "score": item["score"],
                "bbox": [x0, y0, w, h],
                "area": w * h,
                "iscrowd": 0,
            }
        )
    return {
        "info": {
            "description": f"Keyloop predictions, job {job.id}",
            "model_version_id": options_of(job, PredictOptions).model_version_id,
            "visibility": f"2 if confidence >= {min_confidence} else 1",
        },
        "categories": [
            {
                "id": 1,
                "name": project.name,
                "supercategory": "animal",
                "keypoints": names,
                "skeleton": [
                    [index[a] + 1, index[b] + 1] for a, b in skeleton if a in index and b in index
                ],
            }
        ],
        "images": images,
        "annotations": annotations,
    }
