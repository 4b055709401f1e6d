"""The worker's Celery app: the shared configuration plus the task modules."""

from __future__ import annotations

from backend.config import get_settings
from backend.queue import make_celery

celery_app = make_celery(get_settings(), "keyloop-worker", include=["worker.tasks"])
app = celery_app
