"""Predictions: the active version's for an image, one image now (onnxruntime in the API
process), and jobs that predict many: a project's images, uploaded images that are not added
to the project, or a video's frames. A job's results are read from `routes/jobs.py`."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from backend.api.deps import Annotator, SessionDep, SettingsDep, Viewer
from backend.api.params import IdPath, OptionalIdForm
from backend.api.uploads import read_limited
from backend.calibration import Calibration, predicted_point
from backend.config import Settings
from backend.dispatch import commit_and_send
from backend.errors import BadInput, PayloadTooLarge
from backend.models import ModelVersion
from backend.schemas.annotation import PredictionRead
from backend.schemas.common import all_finite
from backend.schemas.job_options import PredictOptions
from backend.schemas.predict import ImagePrediction, KeypointPrediction
from backend.schemas.training import JobRead, PredictRequest
from backend.schemas.video import PredictVideoRequest
from backend.services import jobs, onnx_predict, predict_jobs, predict_video_jobs, videos
from backend.services.image_files import decode_image
from backend.services.images import (
    UploadedFile,
    get_image_and_project,
    require_in_project,
)
from backend.services.predictions import active_prediction
from backend.services.projects import get_project

router = APIRouter(tags=["predictions"])


@router.get("/images/{image_id}/prediction")
def get_prediction(image_id: IdPath, _: Viewer, session: SessionDep) -> PredictionRead | None:
    """The active version's prediction; `null` while there is none (no model yet, or not
    predicted yet): the annotator asks for every image it opens, so that is no error."""
    image, project = get_image_and_project(session, image_id)
    return active_prediction(session, project, image)


@router.post("/projects/{project_id}/predictions", status_code=202)
def predict_images(
    project_id: IdPath,
    body: PredictRequest,
    user: Annotator,
    session: SessionDep,
    settings: SettingsDep,
) -> JobRead:
    project = get_project(session, project_id)
    version = jobs.version_for_prediction(session, project, body.model_version_id)
    if body.image_ids is not None:
        require_in_project(session, project, body.image_ids)
    predict_jobs.check_capacity(session, project, settings)
    options = PredictOptions(model_version_id=version.id, image_ids=body.image_ids, source="images")
    job = jobs.create_job(session, project, options, user)
    commit_and_send(session, settings, job)
    return JobRead.model_validate(job)


@router.post("/projects/{project_id}/predictions/upload", status_code=202)
async def predict_uploaded(
    project_id: IdPath,
    files: Annotated[list[UploadFile], File(description="Images and/or zip archives")],
    user: Annotator,
    session: SessionDep,
    settings: SettingsDep,
    model_version_id: OptionalIdForm = None,
) -> JobRead:
    """Predict images that are not added to the project (a pinned or the active version);
    poll `GET /jobs/{id}`, then read `GET /jobs/{id}/results`."""
    project = get_project(session, project_id)
    version = jobs.version_for_prediction(session, project, model_version_id)
    predict_jobs.check_capacity(session, project, settings)
    uploaded = [
        UploadedFile(f.filename or "upload", await read_limited(f, settings.max_upload_bytes))
        for f in files
    ]
    decoded = await asyncio.to_thread(predict_jobs.decoded_uploads, uploaded, settings)
    job = await asyncio.to_thread(
        predict_jobs.create_upload_job, session, settings, project, version, decoded, user
    )
    commit_and_send(session, settings, job)
    return JobRead.model_validate(job)


@router.post("/videos/{video_id}/predictions", status_code=202)
def predict_video(
    video_id: IdPath,
    body: PredictVideoRequest,
    user: Annotator,
    session: SessionDep,
    settings: SettingsDep,
) -> JobRead:
    """Start a job that predicts every (Nth) frame; when it succeeds, download the results
    from `GET /jobs/{id}/video-results/{csv|h5|slp|json|mp4}`."""
    video = videos.get_video(session, video_id)
    project = get_project(session, video.project_id)
    job = predict_video_jobs.create_predict_job(session, settings, project, video, body, user)
    commit_and_send(session, settings, job)
    return JobRead.model_validate(job)


@router.post("/model-versions/{version_id}/predict")
def predict_with_version(
    version_id: IdPath,
    file: Annotated[UploadFile, File(description="One image")],
    _: Annotator,
    session: SessionDep,
    settings: SettingsDep,
    roi: Annotated[str | None, Form(description="x,y,w,h in image pixels")] = None,
) -> ImagePrediction:
    """Keypoints of one image now (onnxruntime on the API's CPU), e.g. for a fresh upload."""
    version = jobs.get_model_version(session, version_id)
    session.close()  # no connection held across the inference
    return _predict_one(version, file, roi, settings)


@router.post("/projects/{project_id}/predict")
def predict_with_active(
    project_id: IdPath,
    file: Annotated[UploadFile, File(description="One image")],
    _: Annotator,
    session: SessionDep,
    settings: SettingsDep,
    roi: Annotated[str | None, Form(description="x,y,w,h in image pixels")] = None,
) -> ImagePrediction:
    """As `POST /model-versions/{id}/predict` with the project's active version."""
    version = jobs.version_for_prediction(session, get_project(session, project_id), None)
    session.close()  # no connection held across the inference
    return _predict_one(version, file, roi, settings)


def _predict_one(
    version: ModelVersion, file: UploadFile, roi: str | None, settings: Settings
) -> ImagePrediction:
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLarge(f"{file.filename}: larger than the upload limit")
    if not data:
        raise BadInput("no image in the request (use the multipart field 'file')")
    name = file.filename or "upload"
    decode_image(name, data, max_pixels=settings.max_image_pixels)  # 415/422/413 on bad input
    box = _parse_roi(roi)
    predictor = onnx_predict.predictor_for(version.path, version.id, settings)
    started = time.perf_counter()
    with onnx_predict.compute_slot(settings):
        pixels = onnx_predict.read_image(data)
        try:
            xy, confidence = predictor.predict(pixels, box)
        except ValueError as exc:  # an roi outside the image
            raise BadInput(str(exc)) from exc
    elapsed = (time.perf_counter() - started) * 1000
    names = predictor.keypoint_names  # the names the version was trained with
    if len(names) != len(confidence):
        names = [f"keypoint_{i}" for i in range(len(confidence))]
    # The same calibrated confidence as the worker stores (backend/calibration.py).
    calibration = Calibration.from_dict(version.metrics.get("calibration"))
    height, width = pixels.shape[:2]
    points = [
        predicted_point(calibration, c, x, y, width, height)
        for (x, y), c in zip(xy.tolist(), confidence.tolist(), strict=True)
    ]
    return ImagePrediction(
        model_version_id=version.id,
        width=width,
        height=height,
        keypoints=[
            KeypointPrediction(
                name=n, x=p["x"], y=p["y"], confidence=p["confidence"], doubt=p["doubt"]
            )
            for n, p in zip(names, points, strict=True)
        ],
        score=sum(p["confidence"] for p in points) / len(points) if points else 0.0,
        elapsed_ms=round(elapsed, 1),
    )


def _parse_roi(roi: str | None) -> tuple[float, float, float, float] | None:
    if not roi:
        return None
    try:
        x, y, w, h = (float(v) for v in roi.split(","))
    except ValueError as exc:
        raise BadInput(f"roi must be 'x,y,w,h' in image pixels, got {roi!r}") from exc
    if not all_finite((x, y, w, h)):  # float() reads "inf" and "nan" too
        raise BadInput(f"roi values must be finite numbers, got {roi!r}")
    if w <= 0 or h <= 0:
        raise BadInput("roi width and height must be positive")
    return (x, y, w, h)
