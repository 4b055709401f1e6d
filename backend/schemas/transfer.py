from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ImportDuplicate(BaseModel):
    filename: str
    existing_image_id: int
    # What happened to the file's annotation: applied to the existing image (it had none),
    # the existing annotation was kept, or the file had no annotation for it.
    annotation: Literal["applied", "kept existing", "none"]


class ImportResult(BaseModel):
    project_id: int
    images_created: int
    annotations_saved: int
    duplicates: list[ImportDuplicate]
    notes: list[str]
