"""Path, query and form parameters shared by the routes, bounded like the schema types.

`image_id: IdPath` documents and enforces 1..2^31-1, so an id the database cannot hold is a 422
rather than a driver overflow (a 500).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query

from backend.schemas.common import MAX_ID, MAX_OFFSET

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A row id (1 to 2^31-1)")]
OptionalIdQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="A row id (1 to 2^31-1)")
]
OptionalIdForm = Annotated[int | None, Form(ge=1, le=MAX_ID, description="A row id (1 to 2^31-1)")]
# A page's start: past 2^63-1 the database's OFFSET overflows (a 500), so it is a 422 here.
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]
