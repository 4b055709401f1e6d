"""Celery beat's app: the schedule only, no task code (so beat never loads torch).

Beat sends tasks by name; the workers that serve them import the code. Run it as
`celery -A worker.beat_app beat` (`keyloop serve` and docker-compose do).
"""

from __future__ import annotations

from typing import Any

from backend.config import Settings, get_settings
from backend.queue import TASK_CHECK_POLICY, TASK_COLLECT_GARBAGE, make_celery


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Check the retraining policy (and resume or reap jobs of dead workers) periodically,
    and remove files no row needs once a day (backend/services/garbage.py)."""
    return {
        "check-retraining-policy": {
            "task": TASK_CHECK_POLICY,
            "schedule": settings.retrain_check_interval_s,
        },
        "collect-garbage": {"task": TASK_COLLECT_GARBAGE, "schedule": 24 * 3600.0},
    }


celery_app = make_celery(get_settings(), "keyloop-beat")
celery_app.conf.beat_schedule = beat_schedule(get_settings())
app = celery_app
