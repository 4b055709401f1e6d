"""One typed settings object, read from `KEYLOOP_*` environment variables.

Defaults are the embedded ones (SQLite, files and a filesystem broker under the data dir), so
`keyloop serve` needs no server. Production sets the URLs to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend import data_layout

PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEYLOOP_", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    data_dir: Path = Path("keyloop-data")
    database_url: str = ""
    broker_url: str = ""
    result_backend: str = ""
    secret_key: str = PLACEHOLDER_SECRET
    admin_email: str = ""
    admin_password: str = ""
    # Uploads: one file (an image or a zip) and the pixels of any image in it.
    max_upload_bytes: int = 200 * 1024 * 1024
    max_image_pixels: int = 64_000_000
    # An import through the API (annotation files, images and zips together), refused with
    # 413 before anything is stored; each file in it still obeys `max_upload_bytes`.
    max_import_bytes: int = 4 * 1024**3
    # One uploaded video (streamed to disk, never held in memory), and how many single-frame
    # decodes (the annotator's neighbour frames) the API runs at once.
    max_video_bytes: int = 4 * 1024**3
    video_frame_concurrency: int = 2
    session_max_age_s: int = 14 * 24 * 3600
    # Requests using the database at once (each API process; its connection pool has one
    # connection per slot), how many more may wait for a slot, and for how long, before the
    # API answers 503 with Retry-After (backend/api/admission.py).
    # 4: more threads running Python at once only lengthen each other's wait for the GIL and
    # SQLite's write lock; waiting on the event loop costs nothing (bench/load.py, 200
    # clients: p99 1.6-1.9 s with 4 against 2.3 s with 8, docs/OPERATIONS.md).
    api_db_slots: int = Field(default=4, ge=1, le=200)
    # API processes `keyloop serve` starts (uvicorn workers sharing the port). One process
    # runs Python on one core at a time (the GIL); slots and decodes above are per process.
    # 0: one per CPU this process may use, at most 4 (`backend.serve.api_processes`).
    api_workers: int = Field(default=0, ge=0, le=64)
    api_queue_length: int = Field(default=1000, ge=0)
    api_queue_wait_s: float = Field(default=10.0, gt=0)
    # Thumbnails and renditions decoded at once per API process (each holds a whole image;
    # a 64-Mpx 16-bit frame is 128 MB); more wait up to `api_queue_wait_s`, then 503.
    api_decode_concurrency: int = Field(default=2, ge=1)
    frontend_dist: Path = Path(__file__).resolve().parent.parent / "frontend" / "dist"
    # Beat: how often the retraining policy is checked.
    retrain_check_interval_s: float = 60.0
    # Bulk prediction jobs queued or running per project before a new one gets 429, so one
    # script cannot fill the worker's queue ahead of everyone's retraining.
    max_bulk_jobs_per_project: int = 2
    # Interactive predict (onnxruntime in the API process): requests computing at once, how
    # long another waits for a slot before 429, and threads per inference.
    predict_concurrency: int = 2
    predict_wait_s: float = 5.0
    predict_threads: int = 1
    # ImageNet weights of HRNet-W32 (a `.safetensors` or torch state dict, timm's key names)
    # for GPU workers without internet; without them a GPU trains EfficientNet-Lite0.
    hrnet_weights: Path | None = None
    # `keyloop gc` and beat's daily sweep keep a finished job's folder (bulk-prediction
    # results, import uploads) this long.
    job_retention_days: float = 7.0
    # Active learning scores at most this many not-done images per model version (a random
    # candidate sample beyond it; worker/active_learning.py), bounding its cost on big pools.
    max_scored_images: int = 3000

    @model_validator(mode="after")
    def _derive_embedded_defaults(self) -> Settings:
        self.data_dir = self.data_dir.resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / data_layout.DATABASE}"
        if not self.broker_url:
            self.broker_url = "filesystem://"
        if not self.result_backend:
            self.result_backend = f"db+sqlite:///{self.data_dir / data_layout.RESULTS_DATABASE}"
        if self.secret_key in ("", PLACEHOLDER_SECRET):
            if self.env == "production":
                raise ValueError(
                    "KEYLOOP_SECRET_KEY is unset or a placeholder; set a long random value "
                    "in production"
                )
            # Dev and tests: a per-process key keeps sessions working without a setting.
            self.secret_key = _dev_secret(self.data_dir)
        return self

    @property
    def files_dir(self) -> Path:
        return self.data_dir / data_layout.FILES

    @property
    def models_dir(self) -> Path:
        return self.data_dir / data_layout.MODELS

    @property
    def jobs_dir(self) -> Path:
        """Per-job folders (`data_layout.job_dir`)."""
        return self.data_dir / data_layout.JOBS

    @property
    def broker_dir(self) -> Path:
        return self.data_dir / data_layout.BROKER

    @property
    def uses_filesystem_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")


def _dev_secret(data_dir: Path) -> str:
    """A random key persisted in the data dir, so dev sessions survive restarts. Readable by
    its owner only (0600): whoever reads it can forge session cookies."""
    path = data_dir / data_layout.DEV_SECRET
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return _write_secret(path)
    make_private(path)  # a key written by an older version with the umask's mode
    return key or _write_secret(path)


def _write_secret(path: Path) -> str:
    key = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never world-readable
    with os.fdopen(fd, "w") as f:
        f.write(key)
    os.replace(tmp, path)
    return key


def make_private(path: Path) -> None:
    """chmod 0600 where we may (a file another user owns is left as it is)."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except PermissionError:
        pass


@lru_cache
def get_settings() -> Settings:
    return Settings()
