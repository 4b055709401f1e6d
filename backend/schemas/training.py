from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.models import JobKind, JobState
from backend.schemas.common import RowId

Backbone = Literal["hrnet_w32", "hrnet_w18_small", "efficientnet_lite0"]


class TrainingOptions(BaseModel):
    """What an admin may choose for a retraining; unset fields take the worker's per-device
    defaults (CPU: a small pretrained backbone; GPU: HRNet-W32 at 256 px)."""

    model_config = ConfigDict(extra="forbid")

    backbone: Backbone | None = None
    input_size: int | None = Field(None, ge=64, le=512, multiple_of=32)
    max_steps: int | None = Field(None, ge=1, le=200_000)
    max_minutes: float | None = Field(None, gt=0, le=24 * 60)
    batch_size: int | None = Field(None, ge=2, le=256)
    # Steps between validation-PCK evaluations (and early-stopping checks).
    eval_interval: int | None = Field(None, ge=1, le=100_000)
    semi_supervised: bool = True
    seed: int = Field(0, ge=0, le=2**32 - 1)  # numpy's and torch's seed range


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int | None  # None while an import that creates its project runs
    kind: JobKind
    state: JobState
    options: dict[str, Any]
    progress: dict[str, Any]
    error: str | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ModelVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    number: int  # 1, 2, … within the project: shown as "v1"
    training_job_id: int | None
    backbone: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    labeled_count: int
    unlabeled_count: int
    is_active: bool
    created_at: datetime
    promoted_at: datetime | None


class PredictRequest(BaseModel):
    image_ids: list[RowId] | None = Field(None, max_length=100_000)
    model_version_id: RowId | None = None


class EvaluateRequest(BaseModel):
    alpha: float = Field(0.1, gt=0, le=1)


class EvaluationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    model_version_id: int
    alpha: float
    metrics: dict[str, Any]
    created_at: datetime
