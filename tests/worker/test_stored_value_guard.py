"""A non-finite value already in the database (stored before the API refused them) fails a
retraining with a message naming the image, and cannot be stored again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from backend.config import Settings
from backend.db.session import session_scope
from backend.models import (
    Annotation,
    Image,
    ImageSplit,
    Job,
    JobKind,
    JobState,
    Project,
)
from worker.snapshot import BadStoredValue, take_snapshot
from worker.training_run import run_training_job


def _project_with_one_labeled_image(settings: Settings) -> tuple[int, int]:
    with session_scope(settings.database_url) as s:
        project = Project(
            name="p", description="", keypoint_schema={"keypoints": [{"name": "a"}]}, settings={}
        )
        s.add(project)
        s.flush()
        image = Image(
            project_id=project.id, checksum="0" * 64, original_name="zebra-7.png",
            media_type="image/png", width=10, height=10, split=ImageSplit.train, roi=None,
            labeled_count=1,
        )  # fmt: skip
        s.add(image)
        s.flush()
        s.add(
            Annotation(
                image_id=image.id,
                version=1,
                keypoints=[{"x": 1, "y": 1, "visibility": "visible", "source": "human"}],
            )
        )
        return project.id, image.id


def _corrupt(settings: Settings, sql: str, image_id: int) -> None:
    """Write what older versions let through, below the model layer's checks."""
    with session_scope(settings.database_url) as s:
        s.execute(text(sql), {"id": image_id})


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        ("UPDATE images SET roi = '[NaN, 0, 5, 5]' WHERE id = :id", "roi"),
        ("UPDATE images SET roi = '[0, 0, Infinity, 5]' WHERE id = :id", "roi"),
        (
            "UPDATE annotations SET keypoints = "
            '\'[{"x": NaN, "y": 1, "visibility": "visible", "source": "human"}]\' '
            "WHERE image_id = :id",
            "keypoint a",
        ),
    ],
)
def test_a_retraining_fails_naming_the_image_with_a_non_finite_value(
    worker_settings: Settings, sql: str, what: str
) -> None:
    project_id, image_id = _project_with_one_labeled_image(worker_settings)
    _corrupt(worker_settings, sql, image_id)
    with pytest.raises(BadStoredValue, match=f"image {image_id} .zebra-7.png.*{what}"):
        take_snapshot(project_id)
    with session_scope(worker_settings.database_url) as s:
        job = Job(project_id=project_id, kind=JobKind.train, options={}, progress={})
        s.add(job)
        s.flush()
        job_id = job.id
    assert run_training_job(job_id) == "failed"
    with session_scope(worker_settings.database_url) as s:
        failed = s.get(Job, job_id)
        assert failed is not None and failed.state == JobState.failed
        assert failed.error is not None
        assert f"image {image_id} (zebra-7.png)" in failed.error and what in failed.error


def test_the_model_layer_refuses_non_finite_values(worker_settings: Settings) -> None:
    _project_id, image_id = _project_with_one_labeled_image(worker_settings)
    with session_scope(worker_settings.database_url) as s:
        image = s.get(Image, image_id)
        assert image is not None
        with pytest.raises(ValueError, match="finite"):
            image.roi = [float("nan"), 0, 5, 5]
        annotation = s.get(Annotation, 1)
        assert annotation is not None
        with pytest.raises(ValueError, match="finite"):
            annotation.keypoints = [
                {"x": float("inf"), "y": 1, "visibility": "visible", "source": "human"}
            ]
