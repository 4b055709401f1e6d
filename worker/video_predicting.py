"""Whole-video prediction jobs (queue `bulk`): every Nth frame, in batches, streamed.

Frames are decoded, predicted and dropped a chunk at a time; each chunk's results are
appended to `frames.jsonl` and drawn into the preview as they come, so memory does not grow
with the video's length (only the result files, built from the JSONL at the end, hold one
row of numbers per frame). Progress and the cancel flag go through `ProgressReporter`; a
cancelled or failed job leaves no result files. A redelivered job starts again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import JobState, ModelVersion, Project, Video
from backend.schemas.job_options import PredictVideoOptions
from backend.services.jobs import job_dir
from backend.services.predict_video_jobs import FRAMES_FILE, RESULT_FILES
from backend.services.storage import LocalBlobStore
from backend.services.video_files import SEEK_GAP, Frame, FrameReader
from worker import job_state
from worker.device import pick_device
from worker.ml.predict import Predictor
from worker.predicting import CHUNK, finite, load_predictor, schema_order
from worker.video_preview import Point, PreviewWriter
from worker.video_results import VideoMeta, write_results

log = logging.getLogger(__name__)


class PredictionCancelled(Exception):
    pass


@dataclass(frozen=True)
class Plan:
    video_path: Path
    video: VideoMeta
    version_id: int
    version_path: str
    names: list[str]
    colors: list[str]
    skeleton: list[tuple[str, str]]
    every_nth: int
    preview: bool


def run_predict_video_job(job_id: int) -> str:
    claimed = job_state.claim(job_id, PredictVideoOptions)
    if claimed is None:
        return "skipped"
    folder = job_dir(get_settings(), job_id)
    try:
        plan = _plan(claimed.options)
        reporter = job_state.ProgressReporter(job_id, keep_history=False)  # counts only
        count = predict_video(plan, folder, reporter)
        reporter.set_phase("writing", predicted=count)
        write_results(folder, plan.names, plan.skeleton, plan.video, f"Keyloop_v{plan.version_id}")
        reporter.report({"phase": "done", "predicted": count}, force=True)
        job_state.finish(job_id, JobState.succeeded)
        return "succeeded"
    except PredictionCancelled:
        _clear(folder)
        job_state.finish(job_id, JobState.cancelled)
        return "cancelled"
    except Exception as exc:
        log.exception("video prediction job %s failed", job_id)
        _clear(folder)
        job_state.finish(job_id, JobState.failed, f"{type(exc).__name__}: {exc}")
        return "failed"


def _plan(options: PredictVideoOptions) -> Plan:
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        video = session.get(Video, options.video_id)
        version = session.get(ModelVersion, options.model_version_id)
        if video is None or version is None:
            raise LookupError("the video or the model version no longer exists")
        project = session.get(Project, video.project_id)
        assert project is not None
        schema = project.keypoint_schema
        return Plan(
            video_path=LocalBlobStore(settings.files_dir).path_for(video.checksum),
            video=VideoMeta(
                video.original_name, video.fps, video.width, video.height, video.frame_count
            ),
            version_id=version.id,
            version_path=version.path,
            names=project.keypoint_names,
            colors=[str(k.get("color") or "") for k in schema["keypoints"]],
            skeleton=[(str(a), str(b)) for a, b in schema.get("skeleton", [])],
            every_nth=options.every_nth,
            preview=options.preview,
        )


def predict_video(plan: Plan, folder: Path, reporter: job_state.ProgressReporter) -> int:
    """Predict the planned frames into `folder/frames.jsonl` (and the preview); returns how
    many frames were predicted."""
    _clear(folder)
    folder.mkdir(parents=True, exist_ok=True)
    predictor = load_predictor(plan.version_path, pick_device())
    order = schema_order(predictor.schema.names, plan.names)
    total = len(range(0, plan.video.frame_count, plan.every_nth))
    reporter.set_phase("predicting", predicted=0, to_predict=total)
    preview = _preview(plan, folder) if plan.preview else None
    done = 0
    try:
        with (
            FrameReader(plan.video_path, plan.video.fps) as reader,
            (folder / FRAMES_FILE).open("w") as out,
        ):
            chunk: list[Frame] = []
            for frame in _frames(reader, plan):
                chunk.append(frame)
                if len(chunk) == CHUNK:
                    done += _predict_chunk(predictor, order, chunk, out, preview, json.dumps)
                    chunk = []
                    reporter.report({"predicted": done, "to_predict": total})
                    if reporter.should_stop():
                        raise PredictionCancelled
            if chunk:
                done += _predict_chunk(predictor, order, chunk, out, preview, json.dumps)
    finally:
        if preview is not None:
            preview.close()
    if preview is not None:
        (folder / ".tmp-preview.mp4").replace(folder / RESULT_FILES["mp4"][0])
    reporter.report({"predicted": done, "to_predict": total}, force=True)
    return done


def _frames(reader: FrameReader, plan: Plan) -> Any:
    if plan.every_nth < SEEK_GAP:
        return reader.sequential(0, None, plan.every_nth)
    return reader.frames(range(0, plan.video.frame_count, plan.every_nth))


def _preview(plan: Plan, folder: Path) -> PreviewWriter:
    index = {n: i for i, n in enumerate(plan.names)}
    edges = [(index[a], index[b]) for a, b in plan.skeleton if a in index and b in index]
    return PreviewWriter(
        folder / ".tmp-preview.mp4",
        plan.video.fps / plan.every_nth,
        plan.video.width,
        plan.video.height,
        plan.colors,
        edges,
    )


def _predict_chunk(
    predictor: Predictor,
    order: list[int | None],
    chunk: list[Frame],
    out: Any,
    preview: PreviewWriter | None,
    dumps: Any,
) -> int:
    results = predictor.predict([f.pixels() for f in chunk], batch_size=CHUNK)
    for frame, result in zip(chunk, results, strict=True):
        points: list[Point] = [
            None
            if i is None
            else (float(result.xy[i, 0]), float(result.xy[i, 1]), float(result.confidence[i]))
            for i in order
        ]
        row = {
            "frame_index": frame.index,
            "time_s": frame.time_s,
            "score": finite(float(result.confidence.mean())),
            "keypoints": [
                {"x": None, "y": None, "confidence": None}
                if p is None
                else {"x": p[0], "y": p[1], "confidence": finite(p[2])}
                for p in points
            ],
        }
        out.write(dumps(row) + "\n")
        if preview is not None:
            preview.add(frame.image, points)
    return len(chunk)


def _clear(folder: Path) -> None:
    """Result files of an earlier (redelivered, failed or cancelled) run of this job."""
    for name in [FRAMES_FILE, ".tmp-preview.mp4"] + [f for f, _ in RESULT_FILES.values()]:
        (folder / name).unlink(missing_ok=True)
