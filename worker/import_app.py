"""The light worker's Celery app: import jobs and file housekeeping (`-Q imports`).

It loads no model code, so it starts in a second and costs little memory; `keyloop serve`
runs it beside the main worker so an import never waits behind a retraining.
"""

from __future__ import annotations

from backend.config import get_settings
from backend.queue import make_celery
from worker import orphans

celery_app = make_celery(
    get_settings(),
    "keyloop-imports",
    include=["worker.tasks.imports", "worker.tasks.maintenance", "worker.tasks.videos"],
)
app = celery_app
orphans.requeue_when_ready()
