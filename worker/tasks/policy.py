from __future__ import annotations

from celery import shared_task

from backend.queue import TASK_CHECK_POLICY
from worker.interactive_model import export_missing
from worker.policy import check_retraining


@shared_task(name=TASK_CHECK_POLICY, time_limit=300, ignore_result=True)
def check_policy() -> list[int]:
    started = check_retraining()
    export_missing()  # interactive-predict files for versions published without one
    return started
