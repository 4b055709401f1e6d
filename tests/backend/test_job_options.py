"""Each job kind's options are one typed model, and the JSON rows already hold still loads."""

from __future__ import annotations

from typing import Any

import pytest

from backend.errors import Conflict
from backend.models import Job, JobKind
from backend.schemas.job_options import (
    OPTIONS_FOR_KIND,
    ExtractFramesOptions,
    PredictOptions,
    PredictVideoOptions,
    TrainOptions,
    options_of,
)

# Options exactly as the code before typed options wrote them, one or more per kind.
STORED: list[tuple[JobKind, dict[str, Any]]] = [
    (
        JobKind.train,  # POST /projects/{id}/training-jobs: the whole request body
        {
            "backbone": None, "input_size": None, "max_steps": 40, "max_minutes": None,
            "batch_size": None, "eval_interval": 10, "semi_supervised": True, "seed": 0,
        },
    ),
    (
        JobKind.train,  # the retraining policy
        {"trigger": "policy", "reason": "12 images annotated since the last training"},
    ),
    (JobKind.predict, {"model_version_id": 3, "image_ids": None, "source": "images"}),
    (JobKind.predict, {"model_version_id": 3, "image_ids": [5, 8], "source": "images"}),
    (
        JobKind.predict,
        {
            "model_version_id": 3, "source": "upload",
            "files": [{"name": "000000.png", "filename": "a.png", "width": 64, "height": 48}],
        },
    ),
    (JobKind.evaluate, {"model_version_id": 3, "alpha": 0.2}),
    (
        JobKind.import_,
        {
            "format": "label-studio", "new_project_name": None, "label": "gull",
            "author_id": 1, "files": [{"name": "export.zip", "zip": True, "bytes": 2048}],
        },
    ),
    (
        JobKind.extract_frames,
        {"video_id": 2, "method": "kmeans", "count": 20, "start_frame": 0, "end_frame": 900},
    ),
    (
        JobKind.extract_frames,
        {
            "video_id": 2, "method": "uncertain", "count": 5, "start_frame": 30,
            "end_frame": 60, "model_version_id": 3,
        },
    ),
    (
        JobKind.predict_video,
        {
            "video_id": 2, "model_version_id": 3, "every_nth": 2, "preview": False,
            "video_stem": "mouse_07",
        },
    ),
    (JobKind.score_labels, {"model_version_id": 3}),
    (JobKind.link_frames, {"video_id": 2}),
]  # fmt: skip


def _job(kind: JobKind, options: dict[str, Any]) -> Job:
    return Job(id=9, kind=kind, options=options, progress={})


@pytest.mark.parametrize(("kind", "stored"), STORED)
def test_rows_written_before_typed_options_validate_and_store_back_unchanged(
    kind: JobKind, stored: dict[str, Any]
) -> None:
    options = options_of(_job(kind, stored), OPTIONS_FOR_KIND[kind])
    assert options.stored() == stored


def test_every_kind_has_its_options_model() -> None:
    assert set(OPTIONS_FOR_KIND) == set(JobKind)
    assert all(model.kind == kind for kind, model in OPTIONS_FOR_KIND.items())


def test_options_read_with_their_defaults_where_older_rows_lack_a_key() -> None:
    video = options_of(_job(JobKind.predict_video, {"video_id": 2, "model_version_id": 3}),
                       PredictVideoOptions)  # fmt: skip
    assert (video.every_nth, video.preview, video.video_stem) == (1, True, None)
    train = options_of(_job(JobKind.train, {}), TrainOptions)
    assert train.semi_supervised is True and train.seed == 0 and train.max_steps is None


def test_keys_no_version_reads_any_more_are_ignored() -> None:
    read = options_of(_job(JobKind.predict, {"model_version_id": 3, "legacy": 1}), PredictOptions)
    assert read.stored() == {"model_version_id": 3}


def test_rejects_options_of_the_wrong_type_with_the_job_and_the_field() -> None:
    bad = _job(JobKind.extract_frames, {"video_id": 2, "method": "random", "count": 5,
                                        "start_frame": 0, "end_frame": 9})  # fmt: skip
    with pytest.raises(Conflict, match="job 9's options cannot be read: method:"):
        options_of(bad, ExtractFramesOptions)


def test_rejects_reading_a_job_as_another_kind() -> None:
    with pytest.raises(Conflict, match="job 9 is a score_labels job, not a predict job"):
        options_of(_job(JobKind.score_labels, {"model_version_id": 3}), PredictOptions)
