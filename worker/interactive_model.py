"""`model.onnx` beside each version's `model.pt`: the API's torch-free interactive predict.

A retraining writes it while publishing the version. A version without one (its export
failed, or it was published before exports existed) gets it from beat's periodic check
(`export_missing`), so `POST /model-versions/{id}/predict` answers 409 only until then. A
failed export leaves `model.onnx.failed` with the reason, so it is tried once, not every
minute; delete that file to try again.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from sqlalchemy import select

from backend import data_layout
from backend.config import get_settings
from backend.db.session import session_scope
from backend.models import ModelVersion
from backend.services.onnx_predict import FAILED_MARKER, ONNX_FILE
from backend.services.storage import write_atomic

log = logging.getLogger(__name__)


def export_interactive_model(version_dir: Path) -> bool:
    """Write `version_dir/model.onnx` from its `model.pt`; False (and the marker) on failure."""
    # torch only when there is something to export: beat's check calls `export_missing`
    # every minute in a fresh, light pool child (celery_app.py).
    from worker.ml.export import export_onnx
    from worker.ml.predict import Predictor

    try:
        predictor = Predictor.from_checkpoint(data_layout.version_weights(version_dir))
        staged = version_dir / f".{ONNX_FILE}.partial"
        export_onnx(predictor.model, staged, predictor.schema.names)
        staged.replace(version_dir / ONNX_FILE)  # the API never sees a half-written file
        return True
    except Exception:
        log.exception("ONNX export in %s failed; no interactive predict for it", version_dir)
        write_atomic(version_dir / FAILED_MARKER, traceback.format_exc().encode())
        return False


def needs_export(version_dir: Path) -> bool:
    return (
        data_layout.version_weights(version_dir).is_file()
        and not (version_dir / ONNX_FILE).is_file()
        and not (version_dir / FAILED_MARKER).is_file()
    )


def export_missing() -> list[int]:
    """Export every version that lacks `model.onnx` (active ones first); returns their ids."""
    with session_scope(get_settings().database_url) as session:
        query = select(ModelVersion.id, ModelVersion.path).order_by(
            ModelVersion.is_active.desc(), ModelVersion.id.desc()
        )
        versions = list(session.execute(query))
    exported = []
    for version_id, path in versions:
        if needs_export(Path(path)) and export_interactive_model(Path(path)):
            exported.append(version_id)
    return exported
