"""The numeric table of a DataFrame that pandas' `to_hdf` wrote, read without running pickle.

`pd.read_hdf` unpickles object columns (and PyTables unpickles attributes), so a crafted .h5
runs code when it is read. DeepLabCut's `CollectedData_<scorer>.h5` is only floats with
string labels, so we read the HDF5 structure with h5py (which never unpickles) and accept
only numeric value blocks and string or numeric labels; anything stored as Python objects
is refused. Both layouts pandas writes are read:

- "fixed" (`pandas_type` frame): `axis0` the columns, `axis1` the rows, `block<i>_values`
  with `block<i>_items`; a MultiIndex axis is `<axis>_level<j>` + `<axis>_label<j>` codes.
- "table" (`pandas_type` frame_table, DeepLabCut <= 2.1): one compound `table` dataset with
  an `index` field and `values_block_<i>` fields. The column keys exist only as attributes
  pandas pickled (`values_block_<i>_kind`); they are plain lists of tuples of strings, so
  `_plain` reads them with an unpickler that is given no classes or functions at all
  (Python's documented way to restrict unpickling): opcodes that need one fail.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np
from numpy.typing import NDArray

from backend.errors import BadInput

# A DeepLabCut table is a few hundred KB; a compressed dataset declaring gigabytes is a bomb.
MAX_ARRAY_BYTES = 256 << 20
_REEXPORT = "save the labels as CSV (DeepLabCut's CollectedData_<scorer>.csv) and upload that"


@dataclass
class Frame:
    columns: list[tuple[str, ...]]  # one key per column: (scorer, [individuals,] bodyparts, coords)
    column_names: list[str]  # the columns' level names, when the file gives them
    index: list[str]  # row labels; a MultiIndex row label joined with "/"
    values: NDArray[np.float64]  # rows x columns


def read_frame(name: str, data: bytes) -> Frame:
    try:
        handle = h5py.File(io.BytesIO(data), "r")
    except OSError as exc:
        raise BadInput(f"{name}: not a readable HDF5 file ({exc})") from exc
    with handle:
        key, group = _frame_group(name, handle)
        where = f"{name} ({key})"
        kind = _text(group.attrs.get("pandas_type"))
        if kind == "frame":
            return _fixed(where, group)
        if kind == "frame_table":
            return _table(where, group)
        raise BadInput(f"{where}: not a pandas DataFrame (pandas_type {kind!r})")


def _frame_group(name: str, handle: h5py.File) -> tuple[str, h5py.Group]:
    groups = {k: v for k, v in handle.items() if isinstance(v, h5py.Group)}
    if isinstance(groups.get("df_with_missing"), h5py.Group):
        return "df_with_missing", groups["df_with_missing"]
    frames = [k for k, g in groups.items() if "pandas_type" in g.attrs]
    if len(frames) != 1:
        raise BadInput(f"{name}: expected one DataFrame (key df_with_missing), found {frames}")
    return frames[0], groups[frames[0]]


def _text(value: Any) -> str:
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8", errors="replace")
    return "" if value is None or isinstance(value, h5py.Empty) else str(value)


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"it names {module}.{name}")


def _plain(where: str, node: h5py.HLObject, attr: str) -> Any:
    """An attribute pandas pickled, as plain data (lists, tuples, dicts, strings, numbers)."""
    raw = node.attrs.get(attr)
    if raw is None:
        raise BadInput(f"{where}: attribute {attr!r} is missing")
    if not isinstance(raw, bytes | np.bytes_):
        return raw.item() if isinstance(raw, np.generic) else raw
    try:
        return _PlainUnpickler(io.BytesIO(bytes(raw))).load()
    except Exception as exc:  # any failure of an untrusted pickle is a bad file
        raise BadInput(
            f"{where}: attribute {attr!r} holds pickled Python objects ({exc}), which Keyloop "
            f"does not load; {_REEXPORT}"
        ) from exc


def _read(where: str, node: Any) -> Any:
    """All of a dataset, once its declared size is known to be sane."""
    size = int(np.prod(node.shape, dtype=np.int64)) * node.dtype.itemsize
    if size > MAX_ARRAY_BYTES:
        raise BadInput(f"{where}: declares {size} bytes of data, more than a labels table holds")
    return node[()]


def _labels(where: str, node: Any) -> list[str]:
    """A 1-d array of labels: strings (stored as bytes) or numbers, never objects."""
    if not isinstance(node, h5py.Dataset):
        raise BadInput(f"{where}: expected an array of labels")
    if "value_type" in node.attrs:  # pandas' placeholder for an empty array
        return []
    dtype = node.dtype
    if dtype.kind not in "SUiuf" or h5py.check_vlen_dtype(dtype) is not None:
        raise BadInput(
            f"{where}: labels stored as Python objects ({dtype}) are not read; {_REEXPORT}"
        )
    values = _read(where, node)
    if dtype.kind == "S":
        return [bytes(v).decode("utf-8") for v in values]
    return [str(v) for v in values]


def _numbers(where: str, values: Any) -> NDArray[np.float64]:
    dtype = values.dtype
    if dtype.kind not in "iuf" or h5py.check_vlen_dtype(dtype) is not None:
        raise BadInput(
            f"{where}: holds {dtype} values (pickled Python objects or text), not "
            f"coordinates, and Keyloop does not unpickle; {_REEXPORT}"
        )
    return np.asarray(values, dtype=np.float64)


def _axis(where: str, group: h5py.Group, prefix: str) -> tuple[list[tuple[str, ...]], list[str]]:
    """An index pandas wrote as `prefix` (regular) or `prefix_level<j>`/`_label<j>` (multi)."""
    variety = _text(group.attrs.get(f"{prefix}_variety"))
    if variety == "regular":
        node = group.get(prefix)
        name = _text(node.attrs.get("name")) if node is not None else ""
        return [(v,) for v in _labels(f"{where}/{prefix}", node)], [name]
    if variety != "multi":
        raise BadInput(f"{where}: index {prefix} is of variety {variety!r}, not read")
    n_levels = int(group.attrs.get(f"{prefix}_nlevels", 0))
    levels, names, codes = [], [], []
    for j in range(n_levels):
        level = group.get(f"{prefix}_level{j}")
        levels.append(_labels(f"{where}/{prefix}_level{j}", level))
        names.append(_text(level.attrs.get("name")))
        label = group.get(f"{prefix}_label{j}")
        if not isinstance(label, h5py.Dataset) or label.dtype.kind not in "iu":
            raise BadInput(f"{where}: {prefix}_label{j} is not an array of integer codes")
        where_j = f"{where}/{prefix}_label{j}"
        codes.append(_read(where_j, label) if "value_type" not in label.attrs else np.zeros(0))
    if not codes or len({len(c) for c in codes}) != 1:
        raise BadInput(f"{where}: index {prefix} has levels of different lengths")
    keys = []
    for row in zip(*codes, strict=True):
        try:
            keys.append(tuple(levels[j][c] if c >= 0 else "" for j, c in enumerate(row)))
        except IndexError as exc:
            raise BadInput(f"{where}: index {prefix} has a code outside its level") from exc
    return keys, names


def _fixed(where: str, group: h5py.Group) -> Frame:
    columns, column_names = _axis(where, group, "axis0")
    rows, _ = _axis(where, group, "axis1")
    position = {key: i for i, key in enumerate(columns)}
    if len(position) != len(columns):
        raise BadInput(f"{where}: repeated columns")
    values = np.full((len(rows), len(columns)), np.nan)
    for b in range(int(group.attrs.get("nblocks", 0))):
        items, _ = _axis(where, group, f"block{b}_items")
        node = group.get(f"block{b}_values")
        if not isinstance(node, h5py.Dataset):  # object blocks are PyTables VLArrays
            raise BadInput(f"{where}: block{b}_values is not an array of numbers; {_REEXPORT}")
        block = _numbers(f"{where}/block{b}_values", _read(f"{where}/block{b}_values", node))
        if block.ndim != 2:
            raise BadInput(f"{where}: block{b}_values is not a 2-d array")
        if not bool(node.attrs.get("transposed", False)):
            block = block.T
        if block.shape != (len(rows), len(items)):
            raise BadInput(f"{where}: block{b}_values has shape {block.shape}, not rows x items")
        for j, key in enumerate(items):
            if key not in position:
                raise BadInput(f"{where}: block{b} names a column {key} not among the columns")
            values[:, position[key]] = block[:, j]
    return Frame(columns, column_names, ["/".join(r) for r in rows], values)


def _table(where: str, group: h5py.Group) -> Frame:
    table = group.get("table")
    if not isinstance(table, h5py.Dataset) or table.dtype.names is None:
        raise BadInput(f"{where}: the 'table' dataset is missing")
    levels = _plain(where, group, "levels")
    index_fields = ["index"] if isinstance(levels, int) else [str(n) for n in levels]
    data_columns = _plain(where, group, "data_columns")
    if [str(c) for c in data_columns or []] not in ([], index_fields):
        raise BadInput(f"{where}: data columns {data_columns} are not read; {_REEXPORT}")
    records = _read(f"{where}/table", table)
    fields = records.dtype.names or ()
    for f in index_fields:
        if f not in fields:
            raise BadInput(f"{where}: the table has no index field {f!r}")
    rows = [_labels_of(f"{where}/table", records[f]) for f in index_fields]
    columns: list[tuple[str, ...]] = []
    blocks: list[NDArray[np.float64]] = []
    for block in _plain(where, group, "values_cols"):
        block = str(block)
        if block not in fields:
            raise BadInput(f"{where}: the table has no field {block!r}")
        keys = _plain(where, table, f"{block}_kind")
        if not isinstance(keys, list):
            raise BadInput(f"{where}: {block}_kind is not a list of column keys")
        columns += [
            tuple(str(k) for k in key) if isinstance(key, tuple) else (str(key),) for key in keys
        ]
        values = _numbers(f"{where}/{block}", records[block])
        blocks.append(values.reshape(len(records), -1))
    values = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(records), 0))
    if values.shape[1] != len(columns):
        raise BadInput(f"{where}: {values.shape[1]} value columns but {len(columns)} column keys")
    values, columns = _in_frame_order(where, group, values, columns)
    info = _plain(where, group, "info") if "info" in group.attrs else {}
    names = info.get(1, {}).get("names") if isinstance(info, dict) else None
    column_names = [str(n) for n in names] if isinstance(names, list) else []
    index = ["/".join(parts) for parts in zip(*rows, strict=True)] if rows else []
    return Frame(columns, column_names, index, values)


def _in_frame_order(
    where: str, group: h5py.Group, values: NDArray[np.float64], columns: list[tuple[str, ...]]
) -> tuple[NDArray[np.float64], list[tuple[str, ...]]]:
    """Blocks group columns by dtype; `non_index_axes` keeps the DataFrame's column order."""
    axes = _plain(where, group, "non_index_axes") if "non_index_axes" in group.attrs else []
    keys = axes[0][1] if axes and isinstance(axes[0], tuple) and len(axes[0]) == 2 else None
    if not isinstance(keys, list):
        return values, columns
    order = [tuple(str(k) for k in key) if isinstance(key, tuple) else (str(key),) for key in keys]
    position = {key: i for i, key in enumerate(columns)}
    if sorted(order) != sorted(columns) or len(position) != len(columns):
        return values, columns
    return values[:, [position[key] for key in order]], order


def _labels_of(where: str, values: Any) -> list[str]:
    if values.dtype.kind == "S":
        return [bytes(v).decode("utf-8") for v in values]
    if values.dtype.kind in "iuf":
        return [str(v) for v in values]
    raise BadInput(f"{where}: row labels of type {values.dtype} are not read; {_REEXPORT}")
