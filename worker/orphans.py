"""A starting worker resumes the jobs that a killed worker on this host left running.

A worker killed with a task in hand may take the message with it (the filesystem broker
drops it; Redis gives it back only after its visibility timeout, hours later). The job's row
names its dead owner, so the worker that starts next (restarted by `keyloop serve`'s
supervisor, or by docker) queues it again and `job_state.claim` resumes it from `last.pt`.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import worker_ready

from worker import job_state

log = logging.getLogger(__name__)


def _on_worker_ready(**_: Any) -> None:
    try:
        requeued = job_state.requeue_orphans()
    except Exception:  # never keep a worker from serving for it; beat's check tries again
        log.exception("could not requeue the jobs of dead workers")
        return
    if requeued:
        log.warning("resuming jobs left running by a dead worker: %s", requeued)


def requeue_when_ready() -> None:
    worker_ready.connect(_on_worker_ready, weak=False, dispatch_uid="keyloop-requeue-orphans")
