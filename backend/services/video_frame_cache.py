"""Single frames of a video decoded on request (the annotator's neighbour frames), cached.

Decoding runs in the API process, not a worker: it is one seek and at most a GOP of
decoding (tens of milliseconds for typical lab video), the user waits for it interactively,
and a worker would queue it behind a retraining. PyAV needs no torch. A semaphore bounds how
many run at once (`KEYLOOP_VIDEO_FRAME_CONCURRENCY`); a request that waits too long for a
slot gets 429. The PNG is kept under `video-frames/<video checksum>/<index>.png` (the
content never changes), which `keyloop gc` removes with the video.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from backend import data_layout
from backend.config import Settings
from backend.errors import NotFound, TooManyRequests
from backend.models import Video
from backend.services.storage import LocalBlobStore, write_atomic
from backend.services.video_files import FrameReader, frame_png

WAIT_S = 10.0


@lru_cache(maxsize=8)
def _slots(concurrency: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(concurrency)


def cached_path(settings: Settings, video: Video, index: int) -> Path:
    return data_layout.video_frame(settings.data_dir, video.checksum, index)


def frame_file(settings: Settings, store: LocalBlobStore, video: Video, index: int) -> Path:
    """The PNG of frame `index` (already checked to lie inside the video)."""
    cached = cached_path(settings, video, index)
    if cached.is_file():
        return cached
    source = store.path_for(video.checksum)
    if not source.is_file():
        raise NotFound(f"the file of video {video.id} is missing from storage")
    slots = _slots(settings.video_frame_concurrency)
    if not slots.acquire(timeout=WAIT_S):
        raise TooManyRequests("too many video frames are being decoded; try again shortly")
    try:
        with FrameReader(source, video.fps) as reader:
            frame = next(iter(reader.frames([index])), None)
    finally:
        slots.release()
    if frame is None or frame.index != index:
        raise NotFound(f"video {video.id} has no frame {index} (its file ends before it)")
    write_atomic(cached, frame_png(frame))
    return cached
