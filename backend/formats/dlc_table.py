"""DeepLabCut's labeled-frames table (`CollectedData*.csv` or `.h5`) as plain rows.

The header is three rows (scorer, bodyparts, coords) or four with `individuals` (multi-animal
DeepLabCut, where the individual `single` holds the unique body parts). The row index is the
frame's path, in one column (`labeled-data/v/img.png`) or three (`labeled-data,v,img.png`).
Lightning Pose writes the same table. `likelihood` columns (machine labels) are ignored.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from functools import cached_property

from backend.errors import BadInput
from backend.formats.common import to_float

UNIQUE = "single"  # maDLC's pseudo-individual of the unique body parts


@dataclass(frozen=True)
class Column:
    individual: str  # "" in single-animal tables
    bodypart: str
    coord: str  # x, y or likelihood


@dataclass
class Row:
    origin: str  # "CollectedData_Ann.csv row 4", for messages
    path: str  # the frame, as the table names it
    values: list[float | None]  # per column; None for an empty cell


@dataclass
class Table:
    source: str
    scorer: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)

    @cached_property
    def _position(self) -> dict[tuple[str, str, str], int]:
        return {(c.individual, c.bodypart, c.coord): i for i, c in enumerate(self.columns)}

    @property
    def individuals(self) -> list[str]:
        """The animals, in column order (without the unique-body-part pseudo-individual)."""
        found = [c.individual for c in self.columns if c.individual not in ("", UNIQUE)]
        return list(dict.fromkeys(found))

    @property
    def bodyparts(self) -> list[str]:
        """The body parts of one animal, then the unique ones, in column order."""
        first = self.individuals[:1] or [""]
        parts = [c.bodypart for c in self.columns if c.individual in (*first, UNIQUE)]
        return list(dict.fromkeys(parts))

    def point(self, row: Row, individual: str, bodypart: str) -> tuple[float, float] | None:
        """The (x, y) of one body part in one row, or None when it is not labeled."""
        at = self._position
        if (individual, bodypart, "x") not in at or (individual, bodypart, "y") not in at:
            return None
        x = row.values[at[individual, bodypart, "x"]]
        y = row.values[at[individual, bodypart, "y"]]
        if x is None and y is None:
            return None
        if x is None or y is None:
            raise BadInput(f"{row.origin}: {bodypart} has only one of x and y")
        return x, y


def from_csv(name: str, data: bytes) -> Table:
    try:
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadInput(f"{name}: not a readable CSV file ({exc})") from exc
    heads = [row[0].strip() if row else "" for row in lines[:4]]
    expected = ["scorer", "individuals", "bodyparts", "coords"]
    if heads[1:2] != ["individuals"]:
        expected.remove("individuals")
    if heads[: len(expected)] != expected:
        raise BadInput(
            f"{name}: expected header rows scorer, [individuals,] bodyparts, coords; "
            f"got {heads[: len(expected)]}"
        )
    header = dict(zip(expected, lines, strict=False))
    coords = header["coords"]
    # The index is one column (a path) or three (labeled-data, video, file): the first
    # column with a coords entry is the first value column.
    n_index = next((i for i in range(1, len(coords)) if coords[i].strip()), len(coords))
    columns = []
    for col in range(n_index, len(coords)):
        cells = {k: (row[col].strip() if col < len(row) else "") for k, row in header.items()}
        columns.append(_column(f"{name} column {col + 1}", cells))
    table = Table(name, _scorer(header["scorer"][n_index:]), columns)
    for line_no, row in enumerate(lines[len(expected) :], start=len(expected) + 1):
        if not any(c.strip() for c in row):
            continue
        where = f"{name} row {line_no}"
        path = "/".join(p.strip() for p in row[:n_index] if p.strip())
        if not path:
            raise BadInput(f"{where}: the frame's path is empty")
        values: list[float | None] = []
        for i, column in enumerate(columns):
            cell = row[n_index + i].strip() if n_index + i < len(row) else ""
            empty = cell.lower() in ("", "nan")
            values.append(None if empty else to_float(f"{where}, {column.bodypart}", cell))
        table.rows.append(Row(where, path, values))
    return table


def from_h5(name: str, data: bytes) -> Table:
    try:
        from backend.formats.dlc_h5 import read_frame
    except ImportError as exc:  # pragma: no cover - h5py comes with the formats extra
        raise BadInput(
            f"{name}: reading .h5 needs h5py (keyloop[formats]); upload the CSV"
        ) from exc
    frame = read_frame(name, data)
    n_levels = {len(key) for key in frame.columns}
    if n_levels - {3, 4}:
        raise BadInput(
            f"{name}: expected columns scorer/[individuals/]bodyparts/coords, got "
            f"{sorted(n_levels)} levels"
        )
    columns = []
    for key in frame.columns:
        levels = ("scorer", "individuals", "bodyparts", "coords")
        cells = dict(zip(levels if len(key) == 4 else levels[::2] + levels[3:], key, strict=True))
        columns.append(_column(f"{name} column {key}", cells))
    table = Table(name, _scorer([k[0] for k in frame.columns]), columns)
    for i, path in enumerate(frame.index):
        values = [None if math.isnan(v) else float(v) for v in frame.values[i]]
        for v in values:
            if v is not None and math.isinf(v):
                raise BadInput(f"{name} row {i + 1}: {v} is not a finite number")
        table.rows.append(Row(f"{name} row {i + 1}", path.replace("\\", "/"), values))
    return table


def _column(where: str, cells: dict[str, str]) -> Column:
    coord = cells.get("coords", "")
    if coord not in ("x", "y", "likelihood"):
        raise BadInput(f"{where}: coords is {coord!r}, not x, y or likelihood")
    bodypart = cells.get("bodyparts", "")
    if not bodypart:
        raise BadInput(f"{where}: the body part name is empty")
    return Column(cells.get("individuals", ""), bodypart, coord)


def _scorer(cells: list[str]) -> str:
    found = [c for c in dict.fromkeys(cells) if c]
    return found[0] if found else ""
