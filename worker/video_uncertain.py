"""Picking video frames where the model is least sure (`uncertain` frame extraction).

The same signals and order as the labeling queue (`worker/active_learning.py`): the four
uncertainty signals of `worker.ml.uncertainty`, combined per frame, then uncertainty-weighted
k-center greedy on z with the project's done images as the covered set, so the picked frames
are uncertain *and* unlike each other and what is already labeled. Scoring costs
1 + `num_warps` forward passes per frame, so at most `max(MIN_CANDIDATES, 5 * count)` evenly
spaced candidates are scored (capped at `MAX_CANDIDATES`).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import Image, ImageState, ModelVersion
from backend.schemas.job_options import ExtractFramesOptions
from backend.services.storage import LocalBlobStore
from backend.services.video_files import FrameReader
from worker.active_learning import MAX_REFERENCE
from worker.device import pick_device
from worker.frame_extraction import Picker, Progress, VideoSource, uniform
from worker.ml.data import UnlabeledSample, prepare_unlabeled
from worker.ml.uncertainty import Signals, UncertaintyConfig, labeling_order, measure
from worker.predicting import load_predictor

MIN_CANDIDATES = 100
MAX_CANDIDATES = 600
CHUNK = 32


def uncertain_picker(
    options: ExtractFramesOptions, config: UncertaintyConfig | None = None
) -> Picker:
    """The picker for a job's options (`model_version_id`)."""
    version_id = options.model_version_id
    if version_id is None:
        raise LookupError("frames picked by uncertainty need a model version")
    config = config or UncertaintyConfig()

    def pick(source: VideoSource, indices: list[int], count: int, progress: Progress) -> list[int]:
        settings = get_settings()
        store = LocalBlobStore(settings.files_dir)
        with session_scope(settings.database_url) as session:
            version = session.get(ModelVersion, version_id)
            if version is None:
                raise LookupError(f"model version {version_id} no longer exists")
            path = version.path
            done = [
                store.path_for(checksum)
                for checksum in session.scalars(
                    select(Image.checksum)
                    .where(Image.project_id == source.project_id, Image.state == ImageState.done)
                    .order_by(Image.id.desc())
                    .limit(MAX_REFERENCE)
                )
            ]
        if len(indices) <= count:
            return indices
        indices = uniform(indices, min(MAX_CANDIDATES, max(MIN_CANDIDATES, 5 * count)))
        predictor = load_predictor(path, pick_device())
        model, device = predictor.model, predictor.device
        size, stride = model.config.input_size, model.config.heatmap_stride
        parts, kept, batch = [], [], []
        with FrameReader(source.path, source.fps) as reader:
            for frame in reader.frames(indices):
                batch.append(UnlabeledSample(frame.pixels()))
                kept.append(frame.index)
                if len(batch) == CHUNK or len(kept) == len(indices):
                    chunk_config = replace(config, seed=config.seed + len(kept))
                    images = prepare_unlabeled(batch, size)
                    parts.append(measure(model, images, stride, chunk_config, device))
                    batch = []
                    progress.step("scoring", len(kept), len(indices))
        if batch:
            parts.append(measure(model, prepare_unlabeled(batch, size), stride, config, device))
        signals = Signals.concat(parts)
        samples = [UnlabeledSample(p) for p in done if p.is_file()]
        done_images = prepare_unlabeled(samples, size) if samples else None
        order = labeling_order(model, signals, done_images, device)[2]
        return sorted(kept[i] for i in order[:count])

    return pick
