"""Frame extraction jobs: pick frames of a video, store them as PNG blobs, add the images.

Runs on the light import worker (no torch) for `uniform` and `kmeans`; for `uncertain` the
main worker passes `make_picker`, which builds a `Picker` scoring frames with the model
(`worker/video_uncertain.py`). Two
phases, as imports (`worker/jobs/import_.py`): *prepare* (no transaction) picks and decodes the
frames and writes their blobs while progress and the cancel flag go through their own short
sessions; *record* adds every image and marks the job succeeded in one transaction. On
cancel or error the blobs this job created are deleted again.

The k-means pick follows DeepLabCut's `kmeans` extraction: downsampled grayscale frames,
MiniBatchKMeans with one cluster per wanted frame, one frame per cluster (here the frame
nearest its centre). It streams: frames are reduced to `THUMB_WIDTH`-wide luma (576 bytes)
as they are decoded, and the pass decodes only keyframes or referenced frames
(`kmeans_pick`), so a 20-minute video is not decoded frame by frame; at most
`MAX_CANDIDATES` evenly spaced candidates are clustered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from backend.config import get_settings
from backend.db.base import utcnow
from backend.db.session import session_scope
from backend.errors import KeyloopError
from backend.models import Job, JobState, Project, Video
from backend.schemas.job_options import ExtractFramesOptions
from backend.services.image_files import thumbnail_jpeg
from backend.services.images import StoredImage, keep_thumbnail
from backend.services.storage import LocalBlobStore
from backend.services.video_files import Frame, FrameReader, frame_png
from backend.services.videos import StoredFrame, add_frame_images, existing_frames, frame_name
from worker import job_state

log = logging.getLogger(__name__)

MAX_CANDIDATES = 1500
THUMB_WIDTH = 32  # DeepLabCut resizes to 30 px wide for its k-means
KEYFRAMES_PER_CLUSTER = 4


class ExtractionCancelled(Exception):
    pass


@dataclass(frozen=True)
class VideoSource:
    video_id: int
    project_id: int
    path: Path
    fps: float
    frame_count: int
    name: str


# (video, candidate frame indices, how many to pick, progress) -> the picked indices
Picker = Callable[["VideoSource", list[int], int, "Progress"], list[int]]


class Progress:
    """Progress entries and the cancel check in one place for the pickers."""

    def __init__(self, reporter: job_state.ProgressReporter) -> None:
        self.reporter = reporter

    def step(self, phase: str, done: int, total: int) -> None:
        self.reporter.report({"phase": phase, "step": done, "total": total})
        if self.reporter.should_stop():
            raise ExtractionCancelled


def run_extract_job(
    job_id: int, make_picker: Callable[[ExtractFramesOptions], Picker] | None = None
) -> str:
    claimed = job_state.claim(job_id, ExtractFramesOptions)
    if claimed is None:
        return "skipped"
    options = claimed.options
    created_blobs: list[str] = []
    settings = get_settings()
    store = LocalBlobStore(settings.files_dir)
    try:
        picker = make_picker(options) if make_picker is not None else None
        _extract(job_id, options, store, created_blobs, picker)
        return "succeeded"
    except ExtractionCancelled:
        _undo(store, created_blobs)
        job_state.finish(job_id, JobState.cancelled)
        return "cancelled"
    except KeyloopError as exc:
        _undo(store, created_blobs)
        job_state.finish(job_id, JobState.failed, exc.detail)
        return "failed"
    except Exception as exc:
        log.exception("frame extraction job %s failed", job_id)
        _undo(store, created_blobs)
        job_state.finish(job_id, JobState.failed, f"{type(exc).__name__}: {exc}")
        return "failed"


def _extract(
    job_id: int,
    options: ExtractFramesOptions,
    store: LocalBlobStore,
    created_blobs: list[str],
    picker: Picker | None,
) -> None:
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        video = session.get(Video, options.video_id)
        if video is None:
            raise LookupError(f"video {options.video_id} no longer exists")
        source = VideoSource(
            video.id,
            video.project_id,
            store.path_for(video.checksum),
            video.fps,
            video.frame_count,
            video.original_name,
        )
        have = set(existing_frames(session, video.id))
    # Counts only: the latest values are the progress, a history would repeat them.
    progress = Progress(job_state.ProgressReporter(job_id, interval_s=1.0, keep_history=False))
    start, end = options.start_frame, options.end_frame
    count, method = options.count, options.method
    # Frames already in the project are not candidates: asking again gives new ones.
    free = [i for i in range(start, min(end, source.frame_count)) if i not in have]
    if method == "uniform":
        picked = uniform(free, count)
    elif method == "kmeans":
        picked = kmeans_pick(source, candidates(free, MAX_CANDIDATES), count, progress)
    elif picker is not None:
        picked = picker(source, candidates(free, MAX_CANDIDATES), count, progress)
    else:
        raise ValueError(f"method {method!r} needs the main worker")
    stored = _store_frames(source, picked, store, created_blobs, progress, settings.data_dir)
    progress.reporter.set_phase("recording", total=len(stored))
    with session_scope(settings.database_url) as session:
        job = session.get_one(Job, job_id)
        if job.cancel_requested:
            raise ExtractionCancelled
        video = session.get(Video, source.video_id)
        project = session.get(Project, source.project_id)
        if video is None or project is None:
            raise LookupError(f"video {source.video_id} was deleted during the extraction")
        rows = add_frame_images(session, project, video, stored)
        report = {
            "method": method,
            "requested": count,
            "created": len(rows.created),
            "image_ids": [i.id for i in rows.created],
            "frame_indices": [i.frame_index for i in rows.created],
            "already_present": len(have & set(range(start, end))),
            "same_content": rows.same_content,
        }
        job.progress = {**job.progress, "phase": "done", "report": report}
        job.state = JobState.succeeded
        job.finished_at = utcnow()
    # Blobs of frames skipped as identical content belong to the image already there.
    created_blobs.clear()


def uniform(free: list[int], count: int) -> list[int]:
    """`count` evenly spaced frames of `free` (all of them when it has fewer)."""
    if len(free) <= count:
        return list(free)
    positions = np.linspace(0, len(free) - 1, count).round().astype(int)
    return sorted({free[p] for p in positions})


def candidates(free: list[int], limit: int) -> list[int]:
    return uniform(free, limit)


def kmeans_pick(
    source: VideoSource, indices: list[int], count: int, progress: Progress
) -> list[int]:
    """One frame per MiniBatchKMeans cluster of downsampled grayscale candidates.

    The candidates come from one cheap pass over the range (`FrameReader.scan`): its
    keyframes when there are `KEYFRAMES_PER_CLUSTER` per wanted frame (long videos: decoding
    one frame per GOP), else the frames other frames reference (about half, at half the
    decoding cost); a short range with too few of either is decoded frame by frame.
    """
    from sklearn.cluster import MiniBatchKMeans  # type: ignore[import-untyped]

    if len(indices) <= count:
        return indices
    free = set(indices)
    lo, hi = indices[0], indices[-1] + 1
    features, kept = _scan(source, free, lo, hi, count, progress)
    if len(kept) <= 2 * count:  # too few to choose from: every free frame, as candidates
        features, kept = _dense(source, candidates(indices, MAX_CANDIDATES), progress)
    if len(kept) <= count:
        return kept
    sample = uniform(list(range(len(kept))), MAX_CANDIDATES)
    data = np.stack([features[i] for i in sample]).astype(np.float32) / 255.0
    kept = [kept[i] for i in sample]
    model = MiniBatchKMeans(
        n_clusters=count, batch_size=max(256, 3 * count), n_init=3, random_state=0
    )
    labels = model.fit_predict(data)
    distances = np.linalg.norm(data - model.cluster_centers_[labels], axis=1)
    picked = []
    for cluster in np.unique(labels):
        members = np.flatnonzero(labels == cluster)
        picked.append(kept[int(members[distances[members].argmin()])])
    return sorted(picked)


Features = tuple[list[np.ndarray[Any, Any]], list[int]]


def _scan(
    source: VideoSource, free: set[int], lo: int, hi: int, count: int, progress: Progress
) -> Features:
    features: list[np.ndarray[Any, Any]] = []
    kept: list[int] = []
    with FrameReader(source.path, source.fps) as reader:
        keyframes_only = reader.keyframes(lo, hi) >= KEYFRAMES_PER_CLUSTER * count
        for frame in reader.scan(lo, hi, keyframes_only):
            if frame.index in free:
                features.append(frame.small_gray(THUMB_WIDTH).ravel())
                kept.append(frame.index)
            if len(kept) % 50 == 0:
                progress.step("scanning", frame.index - lo, hi - lo)
    return features, kept


def _dense(source: VideoSource, indices: list[int], progress: Progress) -> Features:
    features: list[np.ndarray[Any, Any]] = []
    kept: list[int] = []
    with FrameReader(source.path, source.fps) as reader:
        for n, frame in enumerate(reader.frames(indices)):
            features.append(frame.small_gray(THUMB_WIDTH).ravel())
            kept.append(frame.index)
            if n % 50 == 0:
                progress.step("scanning", n, len(indices))
    return features, kept


def _store_frames(
    source: VideoSource,
    picked: list[int],
    store: LocalBlobStore,
    created_blobs: list[str],
    progress: Progress,
    data_dir: Path,
) -> list[StoredFrame]:
    stored: list[StoredFrame] = []
    with FrameReader(source.path, source.fps) as reader:
        for frame in reader.frames(picked):
            stored.append(_store_one(source, frame, store, created_blobs, data_dir))
            progress.step("extracting", len(stored), len(picked))
    return stored


def _store_one(
    source: VideoSource,
    frame: Frame,
    store: LocalBlobStore,
    created_blobs: list[str],
    data_dir: Path,
) -> StoredFrame:
    checksum, created = store.put(frame_png(frame))
    if created:
        created_blobs.append(checksum)
    keep_thumbnail(data_dir, checksum, thumbnail_jpeg(frame.image))
    width, height = frame.image.size
    image = StoredImage(
        filename=f"{source.name} frame {frame.index}",
        original_name=frame_name(source.name, source.video_id, frame.index),
        checksum=checksum,
        media_type="image/png",
        width=width,
        height=height,
    )
    return StoredFrame(frame.index, frame.time_s, image)


def _undo(store: LocalBlobStore, created_blobs: list[str]) -> None:
    for checksum in created_blobs:
        store.delete(checksum)
