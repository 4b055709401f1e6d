"""The FastAPI application: routers under /api/v1, error rendering, the built frontend."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api import body_guard
from backend.api.routes import (
    agreement,
    auth,
    effort,
    evaluations,
    exports,
    images,
    imports,
    jobs,
    labeling_queue,
    model_versions,
    predictions,
    projects,
    review,
    suspects,
    users,
    videos,
)
from backend.api.routes import annotations as annotation_routes
from backend.api.security_headers import SecurityHeaders
from backend.config import get_settings
from backend.errors import KeyloopError, storage_full
from backend.schemas.errors import ERROR_RESPONSES

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="Keyloop", version="0.1.0", openapi_url="/openapi.json")
    # Each router is included into the app directly: FastAPI resolves an included router's
    # routes again at every level of nesting, for every app made and in every request's match.
    for router in (
        auth.router,
        users.router,
        projects.router,
        images.router,
        annotation_routes.router,
        jobs.router,
        imports.router,
        exports.router,
        model_versions.router,
        evaluations.router,
        labeling_queue.router,
        predictions.router,
        videos.router,
        review.router,
        agreement.router,
        suspects.router,
        effort.router,
    ):
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)

    @app.get(f"{API_PREFIX}/health", tags=["meta"], responses=ERROR_RESPONSES)
    async def health() -> dict[str, str]:
        # async: it needs no thread and no database slot, so it answers under any load.
        return {"status": "ok"}

    _install_error_handlers(app)
    body_guard.install(app)
    app.add_middleware(SecurityHeaders)  # outermost: early refusals get the headers too
    if (settings.frontend_dist / "index.html").is_file():
        _mount_frontend(app, settings.frontend_dist)
    return app


def create_served_app() -> FastAPI:
    """The app as a server process runs it (`keyloop serve`, the container): its OpenAPI
    document is built before the first request, and with it the routing tables that FastAPI
    otherwise builds lazily, router by router, in the first request each router matches, for
    ~0.1 s of CPU on the event loop of a process that may already be under load."""
    app = create_app()
    app.openapi()
    _tune_garbage_collector()
    return app


# Collect the youngest generation after this many new container objects, not CPython's 700.
# With ~100 requests in flight per process, a collection every 700 allocations found most of
# their objects still alive and promoted them, so objects that die a moment later piled up in
# the older generations and were traversed again and again: the API spent ~6 % of its time
# collecting, with full collections stopping the event loop for 250-390 ms. At 10 000,
# collection time fell 2.5x and the CPU per request 5-13 % (docs/OPERATIONS.md). Refcounting
# still frees acyclic garbage at once; only cycles wait longer.
GC_YOUNG_THRESHOLD = 10_000


def _tune_garbage_collector() -> None:
    """For the serving process only: everything made at start (modules, routing, schemas)
    lives as long as the process, so it is frozen out of the collector's sight instead of
    being traversed by every full collection."""
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, oldest)
    gc.collect()
    gc.freeze()


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KeyloopError)
    async def domain_error(_: Request, exc: KeyloopError) -> JSONResponse:
        body = {"detail": exc.detail, "code": exc.code, **exc.extra}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers or None)

    @app.exception_handler(OSError)
    @app.exception_handler(DBAPIError)
    async def full_storage(request: Request, exc: Exception) -> JSONResponse:
        full = storage_full(exc)
        if full is None:
            raise exc  # any other failure stays a logged 500
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return await domain_error(request, full)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        messages = [
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}"
            for e in errors
        ]
        body = {
            "detail": "; ".join(messages) or "invalid request",
            "code": "invalid_input",
            "errors": [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors],
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc.detail), "code": "http_error"},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


def _mount_frontend(app: FastAPI, dist: Path) -> None:
    """Serve the built single-page app; unknown non-API paths get index.html."""
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")
    index = dist / "index.html"

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:
        if path.startswith("api/"):
            raise StarletteHTTPException(404, f"no API route /{path}")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
