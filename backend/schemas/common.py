"""Value types shared by every schema: ids a database column can hold, floats that are numbers.

Used at the edge so a bad value is a 422 that names the field, not a row that breaks a later
retraining (a NaN region of interest) or a 500 from the database driver (an id its column
cannot hold).
To bound a new field, annotate it with one of these instead of a bare `int` or `float`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from backend.db.base import all_finite

__all__ = ["MAX_ID", "MAX_OFFSET", "Counter", "FiniteFloat", "RowId", "all_finite"]

# Id and version columns are INTEGER: 32-bit on PostgreSQL (64-bit on SQLite), so the ids
# every deployment can hold are 1..2^31-1; 0 and below are never ids.
MAX_ID = 2**31 - 1
# OFFSET takes a 64-bit integer on both engines.
MAX_OFFSET = 2**63 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
# A version number, as an INTEGER column stores it.
Counter = Annotated[int, Field(ge=0, le=MAX_ID)]
