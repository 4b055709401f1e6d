"""`keyloop serve`'s API child: one uvicorn process by default, `KEYLOOP_API_WORKERS` of them
(uvicorn workers sharing the port) when asked."""

from __future__ import annotations

from backend.config import get_settings
from backend.serve import child_commands


def _api_argv(workers: int) -> list[str]:
    settings = get_settings().model_copy(update={"api_workers": workers})
    children = child_commands(settings, "127.0.0.1", 8000, worker=False)
    return next(c.argv for c in children if c.name == "api")


def test_the_api_runs_one_process_by_default() -> None:
    assert get_settings().api_workers == 1
    assert "--workers" not in _api_argv(1)


def test_api_workers_start_that_many_uvicorn_workers() -> None:
    argv = _api_argv(3)
    assert argv[argv.index("--workers") + 1] == "3"
