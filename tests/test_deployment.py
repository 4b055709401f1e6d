"""docker-compose.yml cannot run here (no Docker engine), so read it: every service the
product needs is there, its command points at real code, and its settings are real ones."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

import yaml

from backend.config import Settings
from backend.queue import QUEUE_INFERENCE, make_celery
from backend.serve import API_KEEP_ALIVE_S

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_compose_has_the_production_services() -> None:
    services = _compose()["services"]
    assert {"api", "worker", "importer", "beat", "redis", "postgres"} <= set(services)
    gpu = services["worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]
    for name in ("api", "worker", "importer", "beat"):
        assert "keyloop-data:/data" in services[name]["volumes"]
        assert services[name]["restart"] == "unless-stopped", f"a crashed {name} stays down"
    assert services["migrate"]["restart"] == "no"


def test_compose_commands_point_at_real_modules() -> None:
    services = _compose()["services"]
    api_target = services["api"]["command"][1]
    module, attr = api_target.split(":")
    assert callable(getattr(importlib.import_module(module), attr))
    for name in ("worker", "importer", "beat"):
        command = services[name]["command"]
        app_module = command[command.index("-A") + 1]
        assert importlib.util.find_spec(app_module) is not None, app_module


def test_every_queue_the_api_sends_to_has_a_compose_worker() -> None:
    services = _compose()["services"]
    served: set[str] = set()
    for service in services.values():
        command = service.get("command", [])
        if isinstance(command, list) and "worker" in command and "-Q" in command:
            served |= set(command[command.index("-Q") + 1].split(","))
    routes = make_celery(Settings()).conf.task_routes
    assert {route["queue"] for route in routes.values()} | {QUEUE_INFERENCE} <= served


def test_compose_settings_are_ones_keyloop_reads() -> None:
    env = _compose()["x-keyloop-env"]
    fields = {f"KEYLOOP_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields, set(env) - fields
    assert env["KEYLOOP_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["KEYLOOP_BROKER_URL"].startswith("redis://")


def test_dockerfile_installs_the_package_and_copies_the_built_frontend() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install" in dockerfile and ".[ml,formats]" in dockerfile
    assert "frontend/dist" in dockerfile


def test_the_compose_api_keeps_idle_connections_as_keyloop_serve_does() -> None:
    command = _compose()["services"]["api"]["command"]
    assert command[command.index("--timeout-keep-alive") + 1] == str(API_KEEP_ALIVE_S)
