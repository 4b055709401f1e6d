"""A project's data at the start of a job, as the model library's plain samples.

Read once in a short transaction, so the database can change while training runs and the
model version records exactly which annotation versions went in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select

from backend.config import get_settings
from backend.db.base import all_finite
from backend.db.session import session_scope
from backend.models import Annotation, Image, ImageSplit, Project
from backend.services.storage import LocalBlobStore
from worker.ml.data import (
    OCCLUDED,
    UNLABELED,
    VISIBLE,
    KeypointSchema,
    LabeledSample,
    UnlabeledSample,
)

VISIBILITY_CODE = {"unlabeled": UNLABELED, "occluded": OCCLUDED, "visible": VISIBLE}


@dataclass
class ProjectSnapshot:
    project_id: int
    schema: KeypointSchema
    labeled: list[LabeledSample] = field(default_factory=list)
    unlabeled: list[UnlabeledSample] = field(default_factory=list)
    validation: list[LabeledSample] = field(default_factory=list)
    validation_ids: list[int] = field(default_factory=list)
    labels_used: dict[str, int] = field(default_factory=dict)  # image id -> annotation version
    all_images: list[tuple[int, Path, tuple[float, float, float, float] | None]] = field(
        default_factory=list
    )


def schema_of(project: Project) -> KeypointSchema:
    names = project.keypoint_names
    pairs = [
        (names.index(a), names.index(b)) for a, b in project.keypoint_schema.get("flip_pairs", [])
    ]
    return KeypointSchema(names, pairs)


class BadStoredValue(ValueError):
    """A stored value the model cannot use (e.g. a NaN region of interest written before the
    API refused them): the job fails with this message, which names the image to fix."""


def labeled_sample(
    path: Path,
    points: list[dict[str, object]],
    schema: KeypointSchema,
    roi: tuple[float, float, float, float] | None,
    image: str = "",
) -> LabeledSample | None:
    """None when no keypoint is labeled: such an image belongs to the unlabeled pool."""
    k = len(schema.names)
    xy = np.zeros((k, 2), dtype=np.float64)
    visibility = np.zeros(k, dtype=np.int64)
    for i, p in enumerate(points[:k]):
        code = VISIBILITY_CODE[str(p["visibility"])]
        if code != UNLABELED:
            if not all_finite([p.get("x"), p.get("y")]):
                raise BadStoredValue(
                    f"{image}: keypoint {schema.names[i]} is stored at "
                    f"({p.get('x')}, {p.get('y')}), not finite numbers; save it again"
                )
            xy[i] = (float(p["x"]), float(p["y"]))  # type: ignore[arg-type]
            visibility[i] = code
    if not visibility.any():
        return None
    return LabeledSample(path, xy, visibility, roi=roi)


def image_label(image: Image) -> str:
    """How a job's error names an image, e.g. `image 12 (zebra-7.png)`."""
    return f"image {image.id} ({image.original_name})"


def stored_roi(image: Image) -> tuple[float, float, float, float] | None:
    """The image's region of interest, or BadStoredValue naming it when the stored box is not
    four finite numbers with a positive size (cropping to it would fail or train on NaN)."""
    roi = image.roi
    if roi is None:
        return None
    if not (isinstance(roi, list) and len(roi) == 4 and all_finite(roi)) or min(roi[2:]) <= 0:
        raise BadStoredValue(
            f"{image_label(image)}: its stored roi {roi} is not [x, y, w, h] in finite numbers "
            f"with a positive size; set or clear it (PATCH /api/v1/images/{image.id})"
        )
    return (float(roi[0]), float(roi[1]), float(roi[2]), float(roi[3]))


def take_snapshot(project_id: int) -> ProjectSnapshot:
    settings = get_settings()
    store = LocalBlobStore(settings.files_dir)
    with session_scope(settings.database_url) as session:
        project = session.get(Project, project_id)
        if project is None:
            raise LookupError(f"project {project_id} no longer exists")
        snap = ProjectSnapshot(project_id, schema_of(project))
        rows = session.execute(
            select(Image, Annotation)
            .outerjoin(Annotation, Annotation.image_id == Image.id)
            .where(Image.project_id == project_id)
            .order_by(Image.id)
        ).all()
        for image, annotation in rows:
            path = store.path_for(image.checksum)
            roi = stored_roi(image)
            snap.all_images.append((image.id, path, roi))
            sample = (
                labeled_sample(path, annotation.keypoints, snap.schema, roi, image_label(image))
                if annotation
                else None
            )
            if sample is None:
                if image.split == ImageSplit.train:
                    snap.unlabeled.append(UnlabeledSample(path, roi=roi))
                continue
            assert annotation is not None
            snap.labels_used[str(image.id)] = annotation.version
            if image.split == ImageSplit.validation:
                snap.validation.append(sample)
                snap.validation_ids.append(image.id)  # aligned with `validation`
            else:
                snap.labeled.append(sample)
    return snap
