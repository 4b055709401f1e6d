"""Labeling effort: what an editor save reports (`EffortWrite`, inside the annotation PUT) and
what the admin page reads back per model version, annotator or day (`EffortReport`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.schemas.common import RowId

# One save covers one image: a keypoint count above any schema's size, clicks above what a
# person does in an hour, or over an hour of active time is a client bug, not effort.
KeypointCount = Annotated[int, Field(ge=0, le=10_000)]
MAX_CLICKS_PER_SAVE = 100_000
MAX_SECONDS_PER_SAVE = 3600.0

EffortGroup = Literal["version", "annotator", "day"]


class EffortWrite(BaseModel):
    """Counts since the previous save of this image in the annotator's tab (docs/API.md)."""

    model_config = ConfigDict(extra="forbid")

    placed: KeypointCount = 0
    moved: KeypointCount = 0
    accepted: KeypointCount = 0
    accepted_revoked: KeypointCount = 0
    occluded: KeypointCount = 0
    unlabeled: KeypointCount = 0
    predicted: KeypointCount = 0
    clicks: Annotated[int, Field(ge=0, le=MAX_CLICKS_PER_SAVE)] = 0
    active_seconds: Annotated[float, Field(ge=0, le=MAX_SECONDS_PER_SAVE, allow_inf_nan=False)] = (
        0.0
    )
    model_version_id: RowId | None = Field(
        None,
        description="The model version whose prediction the annotator saw (null: none). "
        "Left out, the active version is taken when it has predicted this image.",
    )


class EffortRow(BaseModel):
    """One group's totals; the key fields of the other groupings are null."""

    model_version_id: int | None = None
    model_version_number: int | None = None
    user_id: int | None = None
    email: str | None = None
    day: str | None = None  # YYYY-MM-DD, UTC
    saves: int
    images: int
    placed: int
    moved: int
    accepted: int
    accepted_revoked: int
    occluded: int
    unlabeled: int
    predicted: int
    clicks: int
    active_seconds: float
    # (accepted - accepted_revoked) / predicted; null when no predicted keypoint was labeled.
    accepted_untouched_fraction: float | None
    clicks_per_image: float
    seconds_per_image_mean: float
    seconds_per_image_median: float


class EffortReport(BaseModel):
    project_id: int
    group: EffortGroup
    user_id: int | None
    rows: list[EffortRow]
    # Editor saves without effort (API clients that send none): not in any row.
    unmeasured_saves: int
