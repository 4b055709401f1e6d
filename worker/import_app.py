"""The light worker's Celery app: work that needs no model (`-Q light`): imports, uniform and
k-means frame extraction, frames linked to their video, the daily file sweep.

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
    include=[
        "worker.jobs.import_",
        "worker.jobs.extract_frames",
        "worker.jobs.link_frames",
        "worker.periodic",
    ],
)
app = celery_app
orphans.requeue_when_ready()
