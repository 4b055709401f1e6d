"""Value types shared by every schema: ids a database column can hold, floats that are numbers.

Used at the edge so a bad value is a 422 that names the field, not a row that breaks a later
retraining (a NaN region of interest) or a 500 from the database driver (an id over 2^63-1).
To bound a new field, annotate it with one of these instead of a bare `int` or `float`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from backend.db.base import all_finite

__all__ = ["MAX_ID", "Counter", "FiniteFloat", "RowId", "all_finite"]

# Primary keys are signed 64-bit integers on PostgreSQL and SQLite; 0 and below are never ids.
MAX_ID = 2**63 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
# A count or version number that a signed 64-bit column stores.
Counter = Annotated[int, Field(ge=0, le=MAX_ID)]
