"""The worker's Celery app: the shared configuration plus the task modules."""

from __future__ import annotations

from backend.config import get_settings
from backend.queue import TASK_CHECK_POLICY, TASK_COLLECT_GARBAGE, make_celery

TASK_MODULES = [
    "worker.tasks.training",
    "worker.tasks.inference",
    "worker.tasks.evaluation",
    "worker.tasks.policy",
    "worker.tasks.imports",  # usually served by the light worker (`worker/import_app.py`)
    "worker.tasks.maintenance",  # likewise
    "worker.tasks.videos",  # likewise (uniform and k-means frame extraction)
    "worker.tasks.video_model",  # frames picked by uncertainty, whole-video prediction
]

celery_app = make_celery(get_settings(), "keyloop-worker", include=TASK_MODULES)
app = celery_app

# Beat: check the retraining policy (and reap jobs of dead workers) periodically, and remove
# files no row needs once a day (backend/services/garbage.py).
celery_app.conf.beat_schedule = {
    "check-retraining-policy": {
        "task": TASK_CHECK_POLICY,
        "schedule": get_settings().retrain_check_interval_s,
    },
    "collect-garbage": {"task": TASK_COLLECT_GARBAGE, "schedule": 24 * 3600.0},
}
