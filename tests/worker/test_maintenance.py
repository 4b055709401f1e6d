"""Beat's daily sweep removes what `keyloop gc` would, with the configured retention."""

from __future__ import annotations

import os

from backend.config import Settings
from backend.queue import TASK_COLLECT_GARBAGE
from worker.beat_app import celery_app
from worker.periodic import collect_garbage_task


def test_beat_runs_the_sweep_daily() -> None:
    entries = celery_app.conf.beat_schedule.values()
    assert any(e["task"] == TASK_COLLECT_GARBAGE and e["schedule"] == 86400 for e in entries)


def test_the_sweep_removes_old_folders_of_deleted_jobs(live_settings: Settings) -> None:
    old = live_settings.jobs_dir / "job-31337"  # no such job: its row was deleted
    old.mkdir(parents=True)
    os.utime(old, (0, 0))
    young = live_settings.jobs_dir / "job-31338"
    young.mkdir()  # younger than the grace period

    assert collect_garbage_task() == 1
    assert not old.exists() and young.is_dir()
