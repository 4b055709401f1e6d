"""The worker's Celery app: the shared configuration plus the task modules.

Each pool child runs one task and is then replaced by a fresh fork of the main process
(`worker_max_tasks_per_child = 1`). The task modules import the model code (torch) inside
their task functions, so the main process stays light and an idle worker holds no training
heap: glibc keeps a finished job's freed memory (1.7 GB after a 60-step job, measured in
bench/idle_memory.py) for as long as the process lives. Forking costs milliseconds; a job pays
its torch import (about a second) itself.
"""

from __future__ import annotations

from backend.config import get_settings
from backend.queue import make_celery
from worker import orphans

TASK_MODULES = [
    "worker.jobs.train",
    "worker.jobs.predict",
    "worker.jobs.evaluate",
    "worker.jobs.import_",  # usually served by the light worker (`worker/import_app.py`)
    "worker.jobs.extract_frames",  # likewise, but for frames picked by uncertainty
    "worker.jobs.predict_video",
    "worker.jobs.link_frames",  # usually served by the light worker
    "worker.jobs.score_labels",
    "worker.periodic",
]

celery_app = make_celery(get_settings(), "keyloop-worker", include=TASK_MODULES)
celery_app.conf.worker_max_tasks_per_child = 1
app = celery_app
orphans.requeue_when_ready()
