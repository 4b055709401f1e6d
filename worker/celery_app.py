"""The worker's Celery app: the shared configuration plus the task modules."""

from __future__ import annotations

from backend.config import get_settings
from backend.queue import TASK_CHECK_POLICY, make_celery

celery_app = make_celery(get_settings(), "keyloop-worker", include=["worker.tasks"])
app = celery_app

# Beat: check the retraining policy (and reap jobs of dead workers) periodically.
celery_app.conf.beat_schedule = {
    "check-retraining-policy": {
        "task": TASK_CHECK_POLICY,
        "schedule": get_settings().retrain_check_interval_s,
    }
}
