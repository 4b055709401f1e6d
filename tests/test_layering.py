"""The boundaries the architecture depends on: the API never loads torch, and the model
library knows nothing of the database, Celery or the web app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_api_process_and_cli_never_import_torch() -> None:
    code = (
        "import sys\n"
        "import backend.app, backend.cli, backend.dispatch\n"
        "backend.app.create_app()\n"
        "heavy = ('torch', 'timm', 'kornia')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


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
    forbidden = ("backend", "sqlalchemy", "celery", "fastapi", "alembic", "worker.tasks")
    files = sorted((ROOT / "worker" / "ml").rglob("*.py"))
    assert files
    for path in files:
        bad = {m for m in _imported_modules(path) if m.startswith(forbidden)}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_backend_never_imports_worker_code_statically() -> None:
    for path in sorted((ROOT / "backend").rglob("*.py")):
        bad = {m for m in _imported_modules(path) if m.startswith("worker")}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
