"""What each job kind needs to run: one typed model per `JobKind`, read once when a job is read.

Options are stored as JSON in `jobs.options` and shown as they are by `GET /jobs/{id}`
(`JobRead.options`). The API builds them with these models (`stored()` gives the column's
value), and every reader validates them back: the worker through `worker.job_state.claim`,
the API through `options_of`. Keys a past version wrote and this one no longer reads are
ignored, so every stored row still loads; a value of the wrong type is an error that names the
job, never a `KeyError` deep in the worker.

To add a kind: a model here with its `kind`, and an entry in `OPTIONS_FOR_KIND`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from backend.errors import Conflict
from backend.models import Job, JobKind
from backend.schemas.training import TrainingOptions
from backend.schemas.video import ExtractMethod


class JobOptions(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    kind: ClassVar[JobKind]

    def stored(self) -> dict[str, Any]:
        """The JSON column's value: the fields the caller set, as rows have always held them."""
        return self.model_dump(mode="json", exclude_unset=True)


class TrainOptions(TrainingOptions, JobOptions):
    """What the admin chose (`TrainingOptions`, the request body), or, for a retraining the
    policy started, why (`trigger`, `reason`) with every choice at its default.

    The rest are the switches of `worker.retrain_config.RetrainOptions` (the ablations of
    docs/MODEL.md) that the API does not offer: a job row that sets them (a bench, a script
    writing the row) trains that way; None keeps the worker's default."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    kind: ClassVar[JobKind] = JobKind.train

    trigger: Literal["policy"] | None = None
    reason: str | None = None

    method: Literal["semi", "supervised", "supervised_matched"] | None = None
    lr: float | None = None
    patience: int | None = None
    use_sc: bool | None = None
    sc_scope: Literal["network", "classifier"] | None = None
    use_te: bool | None = None
    use_ti: bool | None = None
    gt_in_unsupervised: bool | None = None
    ti_normalize: bool | None = None
    ti_reduction: Literal["mean", "sum"] | None = None
    lambdas: tuple[float, float, float, float] | None = None
    labeled_fraction_in_batch: float | None = None
    perspective_jitter: float | None = None
    rampup_steps: int | None = None
    sigma: float | None = None
    teacher: bool | None = None
    teacher_confidence: float | None = None


class PredictedUpload(BaseModel):
    """An uploaded file of a prediction job: `name` in the job's `inputs` folder."""

    name: str
    filename: str
    width: int
    height: int


class PredictOptions(JobOptions):
    """Project images (`image_ids`, or all when None), or files that never become project
    images (`source="upload"`, `files` in the job's folder)."""

    kind: ClassVar[JobKind] = JobKind.predict

    model_version_id: int
    source: Literal["images", "upload"] = "images"
    image_ids: list[int] | None = None
    files: list[PredictedUpload] = []


class EvaluateOptions(JobOptions):
    kind: ClassVar[JobKind] = JobKind.evaluate

    model_version_id: int
    alpha: float = 0.1
    embedding: bool = True  # the t-SNE map of the keypoint representations


class ImportedFile(BaseModel):
    """An uploaded file of an import job, stored as `inputs/<its position>`."""

    name: str
    zip: bool
    bytes: int


class ImportOptions(JobOptions):
    """`format` is a `services.transfer.Format` value; `new_project_name` and `label` apply
    when the import creates its project (the job's `project_id` is None)."""

    kind: ClassVar[JobKind] = JobKind.import_

    format: str
    new_project_name: str | None = None
    label: str | None = None
    author_id: int
    files: list[ImportedFile]


class ExtractFramesOptions(JobOptions):
    """Frames [start_frame, end_frame) of a video; `model_version_id` for `uncertain` only."""

    kind: ClassVar[JobKind] = JobKind.extract_frames

    video_id: int
    method: ExtractMethod
    count: int
    start_frame: int
    end_frame: int
    model_version_id: int | None = None


class PredictVideoOptions(JobOptions):
    kind: ClassVar[JobKind] = JobKind.predict_video

    video_id: int
    model_version_id: int
    every_nth: int = 1
    preview: bool = True
    video_stem: str | None = None  # the download names' stem; None: "video-<id>"


class LinkFramesOptions(JobOptions):
    """The project's images that say they are frames of the video, checked and linked."""

    kind: ClassVar[JobKind] = JobKind.link_frames

    video_id: int


class ScoreLabelsOptions(JobOptions):
    kind: ClassVar[JobKind] = JobKind.score_labels

    model_version_id: int


OPTIONS_FOR_KIND: dict[JobKind, type[JobOptions]] = {
    model.kind: model
    for model in (
        TrainOptions,
        PredictOptions,
        EvaluateOptions,
        ImportOptions,
        ExtractFramesOptions,
        PredictVideoOptions,
        ScoreLabelsOptions,
        LinkFramesOptions,
    )
}

OptionsT = TypeVar("OptionsT", bound=JobOptions)


def options_of(job: Job, model: type[OptionsT]) -> OptionsT:
    """The job's options as `model`, its kind's; 409 when the row holds another kind or
    options this version cannot read."""
    if job.kind != model.kind:
        raise Conflict(f"job {job.id} is a {job.kind.value} job, not a {model.kind.value} job")
    try:
        return model.model_validate(job.options)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise Conflict(f"job {job.id}'s options cannot be read: {problems}") from exc
