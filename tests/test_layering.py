"""The boundaries the architecture depends on: the API and the import worker never load
torch, the model library knows nothing of the database, Celery or the web app, and the image
code both sides share (`imaging`) depends on neither side."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _assert_no_torch_after(code: str) -> None:
    """Run `code` in a fresh interpreter, then check no heavy ML module was loaded."""
    check = (
        "import sys\n"
        f"{code}\n"
        "heavy = ('torch', 'timm', 'kornia')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_api_process_and_cli_never_import_torch() -> None:
    _assert_no_torch_after(
        "import backend.app, backend.cli, backend.dispatch\nbackend.app.create_app()"
    )


def test_the_import_worker_loads_its_tasks_but_never_torch() -> None:
    _assert_no_torch_after(
        "from backend.queue import TASK_COLLECT_GARBAGE, TASK_IMPORT\n"
        "from worker.import_app import celery_app\n"
        "celery_app.loader.import_default_modules()\n"
        "assert TASK_IMPORT in celery_app.tasks, sorted(celery_app.tasks)\n"
        "assert TASK_COLLECT_GARBAGE in celery_app.tasks, sorted(celery_app.tasks)\n"
        "from backend.queue import TASK_EXTRACT_FRAMES, TASK_LINK_FRAMES\n"
        "assert TASK_EXTRACT_FRAMES in celery_app.tasks, sorted(celery_app.tasks)\n"
        "assert TASK_LINK_FRAMES in celery_app.tasks, sorted(celery_app.tasks)"
    )


def test_the_main_worker_process_and_beat_load_their_tasks_but_never_torch() -> None:
    """torch lives only in the pool child running a job, recycled after it (celery_app.py):
    an idle worker and beat hold no model code (bench/idle_memory.py)."""
    _assert_no_torch_after(
        "from backend.models import JobKind\n"
        "from worker.celery_app import celery_app\n"
        "celery_app.loader.import_default_modules()\n"
        "names = [f'keyloop.{kind.value}' for kind in JobKind]\n"
        "names += ['keyloop.extract_frames.uncertain', 'keyloop.check_policy']\n"
        "missing = [n for n in names if n not in celery_app.tasks]\n"
        "assert not missing, (missing, sorted(celery_app.tasks))\n"
        "from backend.queue import QUEUE_BULK, TASK_SCORE_LABELS\n"
        "assert TASK_SCORE_LABELS in celery_app.tasks, sorted(celery_app.tasks)\n"
        "assert celery_app.conf.task_routes[TASK_SCORE_LABELS] == {'queue': QUEUE_BULK}\n"
        "assert celery_app.conf.worker_max_tasks_per_child == 1\n"
        "from worker.beat_app import celery_app as beat\n"
        "beat.loader.import_default_modules()\n"
        "assert beat.conf.beat_schedule"
    )


def test_each_job_kind_has_one_name_for_its_task_and_worker_module() -> None:
    """`JobKind.x` is sent as task `keyloop.x` and served by `worker/jobs/x.py`, whose task
    carries that name: a newcomer follows one word from the API to the worker."""
    from backend.dispatch import TASK_FOR_KIND
    from backend.models import JobKind

    for kind in JobKind:
        assert TASK_FOR_KIND[kind] == f"keyloop.{kind.value}"
        module = ROOT / "worker" / "jobs" / f"{kind.name}.py"
        assert f"name=TASK_{kind.name.rstrip('_').upper()}," in module.read_text(), module


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_model_library_imports_no_database_celery_or_web_code() -> None:
    forbidden = ("backend", "sqlalchemy", "celery", "fastapi", "alembic", "worker.jobs")
    files = sorted((ROOT / "worker" / "ml").rglob("*.py"))
    assert files
    for path in files:
        bad = {m for m in _imported_modules(path) if m.startswith(forbidden)}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_backend_never_imports_worker_code_statically() -> None:
    for path in sorted((ROOT / "backend").rglob("*.py")):
        bad = {m for m in _imported_modules(path) if m.startswith("worker")}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_shared_image_package_imports_neither_side_nor_torch() -> None:
    forbidden = ("torch", "timm", "kornia", "backend", "worker", "fastapi", "sqlalchemy", "celery")
    files = sorted((ROOT / "imaging").rglob("*.py"))
    assert files
    for path in files:
        bad = {m for m in _imported_modules(path) if m.split(".")[0] in forbidden}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
    _assert_no_torch_after("import imaging.geometry, imaging.pixels")


@pytest.mark.slow
def test_pixels_and_geometry_are_defined_once_in_the_shared_package() -> None:
    """The API and the model library import `imaging`; a second definition would let what the
    model sees drift from what the annotator saw."""
    shared = {"letterbox", "Letterbox", "displayed_image", "rgb_pixels", "input_to_heatmap"}
    for path in sorted([*(ROOT / "backend").rglob("*.py"), *(ROOT / "worker").rglob("*.py")]):
        tree = ast.parse(path.read_text())
        defined = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in shared
        }
        allowed = {"input_to_heatmap"} if path == ROOT / "worker/ml/heatmaps.py" else set()
        assert defined <= allowed, f"{path.relative_to(ROOT)} defines {sorted(defined)} again"
    for side in (ROOT / "backend", ROOT / "worker" / "ml"):
        uses = {m for path in side.rglob("*.py") for m in _imported_modules(path)}
        assert {"imaging.geometry", "imaging.pixels"} <= uses, side


def test_tests_start_event_loops_through_run_to_end_not_asyncio_run() -> None:
    """After the browser tests the main thread has Playwright's running loop, where
    `asyncio.run` raises; the order tests run in must not decide whether they pass."""
    for path in sorted((ROOT / "tests").rglob("*.py")):
        calls = [
            node.lineno
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "run"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "asyncio"
        ]
        allowed = path == ROOT / "tests" / "coroutines.py"
        assert allowed or not calls, f"{path.relative_to(ROOT)}:{calls} calls asyncio.run"
