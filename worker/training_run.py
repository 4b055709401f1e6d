"""One retraining, from a job row to an immutable, possibly active model version.

1. claim the job; 2. snapshot labeled / unlabeled / validation images; 3. train with
progress and cancellation through the job row; 4. write the model files into a staging
folder and rename it into place (atomic), and only then add the ModelVersion row;
5. activate it per the project's policy; 6. predict every image of the project; 7. score the
images for the labeling queue (`active_learning.py`); 8. score the human labels for how likely
each is wrong (`label_suspects.py`). The ONNX export (for the API's
torch-free interactive predict) is written with the model files in step 4.
A worker killed at any point leaves no row pointing at incomplete files; a redelivered job
resumes from the last checkpoint in its work folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from backend import data_layout
from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import JobState, ModelVersion, Project
from backend.schemas.job_options import TrainOptions
from backend.schemas.project import ProjectSettings
from backend.services.jobs import active_model_version, promote
from worker import job_state
from worker.active_learning import score_version
from worker.device import default_model, pick_device
from worker.evaluating import evaluate_samples
from worker.interactive_model import export_interactive_model
from worker.job_state import Claim
from worker.label_suspects import score_version_labels
from worker.ml.config import TrainConfig
from worker.ml.train import Progress, train
from worker.predicting import load_predictor, predict_and_store
from worker.retrain_config import RetrainOptions
from worker.retrain_config import build_config as retrain_config
from worker.snapshot import ProjectSnapshot, take_snapshot

log = logging.getLogger(__name__)


def build_config(options: TrainOptions, device: str, has_unlabeled: bool) -> TrainConfig:
    """The job's options over the device defaults (`worker.retrain_config`, shared with the
    CLI and the label-efficiency bench)."""
    retrain = RetrainOptions.from_job(options)
    return retrain_config(retrain, device, has_unlabeled, default_model(device, retrain.backbone))


def run_training_job(job_id: int, claimed: Claim[TrainOptions] | None = None) -> str:
    """Run the job; `claimed` when the caller already claimed it (`job_state.claim`)."""
    claimed = claimed or job_state.claim(job_id, TrainOptions)
    if claimed is None:
        return "skipped"
    reporter = job_state.ProgressReporter(job_id)
    workdir = data_layout.training_work(get_settings().data_dir, claimed.project(), job_id)
    try:
        return _train_and_publish(claimed, reporter, workdir)
    except Exception as exc:
        log.exception("training job %s failed", job_id)
        job_state.finish(job_id, JobState.failed, f"{type(exc).__name__}: {exc}")
        return "failed"


def _train_and_publish(
    claimed: Claim[TrainOptions], reporter: job_state.ProgressReporter, workdir: Path
) -> str:
    job_id, project_id = claimed.job_id, claimed.project()
    snap = take_snapshot(project_id)
    if not snap.labeled:
        reason = "no labeled images in the train split yet: annotate some images first"
        job_state.finish(job_id, JobState.failed, reason)
        return "failed"
    device = pick_device()
    config = build_config(claimed.options, device, bool(snap.unlabeled))
    reporter.set_phase(
        "training",
        total=config.max_steps,
        labeled=len(snap.labeled),
        unlabeled=len(snap.unlabeled),
        validation=len(snap.validation),
        device=device,
        backbone=config.model.backbone,
        max_minutes=config.max_minutes,  # the admin page shows elapsed / budget and an ETA
    )

    def on_progress(p: Progress) -> None:
        entry: dict[str, Any] = {"step": p.step, "total": p.total, "losses": p.losses}
        if p.val_pck is not None:
            entry["val_pck"] = p.val_pck
        reporter.report(entry)

    result = train(
        config,
        snap.schema,
        snap.labeled,
        snap.unlabeled if config.loss.semi_supervised else [],
        snap.validation,
        checkpoint_dir=workdir,
        on_progress=on_progress,
        should_stop=reporter.should_stop,
        resume=claimed.resumed,
    )
    if result.status == "cancelled":
        shutil.rmtree(workdir, ignore_errors=True)
        job_state.finish(job_id, JobState.cancelled, None)
        return "cancelled"
    reporter.set_phase("evaluating")
    final_dir = _publish_files(job_id, snap, result.best_checkpoint, config, workdir)
    metrics = evaluate_samples(
        load_predictor(str(final_dir), device), snap.validation, snap.schema.names, config.pck_alpha
    )
    metrics["image_ids"] = snap.validation_ids
    metrics["train_status"] = result.status
    metrics["steps"] = result.step
    version_id, active = _register_version(job_id, snap, config, metrics, final_dir)
    reporter.set_phase(
        "predicting", model_version_id=version_id, active=active, pck=metrics.get("pck")
    )
    predict_and_store(
        version_id,
        snap.all_images,
        on_chunk=lambda done, total: reporter.report({"predicted": done, "to_predict": total}),
    )
    reporter.set_phase("scoring", model_version_id=version_id)
    try:
        reporter.report({"scored": score_version(version_id)}, force=True)
    except Exception as exc:  # the queue falls back to sequential; never lose a model for it
        log.exception("active-learning scoring of version %s failed", version_id)
        reporter.report({"scoring_error": f"{type(exc).__name__}: {exc}"}, force=True)
    reporter.set_phase("checking_labels", model_version_id=version_id)
    try:
        reporter.report({"suspects": score_version_labels(version_id)}, force=True)
    except Exception as exc:  # suspects are advice; never lose a model for them
        log.exception("label scoring with version %s failed", version_id)
        reporter.report({"suspects_error": f"{type(exc).__name__}: {exc}"}, force=True)
    reporter.set_phase("done", model_version_id=version_id)
    job_state.finish(job_id, JobState.succeeded, None)
    shutil.rmtree(workdir, ignore_errors=True)
    return "succeeded"


def _publish_files(
    job_id: int, snap: ProjectSnapshot, checkpoint: Path, config: TrainConfig, workdir: Path
) -> Path:
    """Copy the best checkpoint into a staging folder and rename it into place."""
    final_dir = data_layout.version_dir(get_settings().data_dir, snap.project_id, job_id)
    if final_dir.is_dir():  # a previous delivery got this far before dying
        return final_dir
    staging = workdir / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copyfile(checkpoint, data_layout.version_weights(staging))
    (staging / data_layout.VERSION_CONFIG).write_text(json.dumps(config.to_dict(), indent=2))
    export_interactive_model(staging)  # the version is usable without it (interactive_model.py)
    os.replace(staging, final_dir)
    return final_dir


def _register_version(
    job_id: int, snap: ProjectSnapshot, config: TrainConfig, metrics: dict[str, Any], path: Path
) -> tuple[int, bool]:
    with session_scope(get_settings().database_url) as session:
        existing = session.query(ModelVersion).filter_by(training_job_id=job_id).one_or_none()
        if existing is not None:
            return existing.id, existing.is_active
        version = ModelVersion(
            project_id=snap.project_id,
            training_job_id=job_id,
            backbone=config.model.backbone,
            config=config.to_dict(),
            metrics=metrics,
            labeled_count=len(snap.labeled),
            unlabeled_count=len(snap.unlabeled) if config.loss.semi_supervised else 0,
            labels_snapshot=snap.labels_used,
            path=str(path),
            is_active=False,
        )
        session.add(version)
        session.flush()
        project = session.get(Project, snap.project_id)
        assert project is not None
        current = active_model_version(session, snap.project_id)
        if should_activate(
            ProjectSettings.model_validate(project.settings).promote_policy,
            metrics.get("pck"),
            current.metrics.get("pck") if current else None,
            has_active=current is not None,
        ):
            promote(session, version)
        return version.id, version.is_active


def should_activate(
    policy: str, new_pck: float | None, active_pck: float | None, *, has_active: bool
) -> bool:
    if not has_active or policy == "always":
        return True
    if policy == "manual":
        return False
    if active_pck is None:
        return True
    return new_pck is not None and new_pck >= active_pck
