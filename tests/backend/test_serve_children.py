"""`keyloop serve`'s API child: one uvicorn process per usable CPU (at most four) by default,
`KEYLOOP_API_WORKERS` of them (uvicorn workers sharing the port) when set."""

from __future__ import annotations

import os

import pytest

from backend.config import get_settings
from backend.serve import AUTO_API_WORKERS_MAX, api_processes, child_commands


def _api_argv(workers: int) -> list[str]:
    settings = get_settings().model_copy(update={"api_workers": workers})
    children = child_commands(settings, "127.0.0.1", 8000, worker=False)
    return next(c.argv for c in children if c.name == "api")


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1), (2, 2), (4, 4), (16, AUTO_API_WORKERS_MAX)])
def test_by_default_the_api_runs_one_process_per_cpu_up_to_four(
    monkeypatch: pytest.MonkeyPatch, cpus: int, expected: int
) -> None:
    assert get_settings().api_workers == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cpus)), raising=False)
    assert api_processes(get_settings()) == expected
    argv = _api_argv(0)
    if expected == 1:
        assert "--workers" not in argv
    else:
        assert argv[argv.index("--workers") + 1] == str(expected)


def test_api_workers_start_that_many_uvicorn_workers() -> None:
    argv = _api_argv(3)
    assert argv[argv.index("--workers") + 1] == "3"


def test_one_api_worker_runs_uvicorn_without_a_process_manager() -> None:
    assert "--workers" not in _api_argv(1)
