"""DeepLabCut .h5 files are read without unpickling anything (issue 14 item 1)."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Literal

import h5py  # type: ignore[import-untyped]
import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.formats import dlc
from backend.formats.dlc_h5 import read_frame
from backend.formats.dlc_table import from_csv, from_h5
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.formats.helpers import (
    blob_files,
    bundle_of,
    image_bytes,
    make_user,
    run_import,
    shared,
    stored_counts,
    write_tree,
)

REAL_H5 = ("dlc_reaching_mouse", "labeled-data", "reachingvideo1", "CollectedData_Mackenzie.h5")
CONFIG = b"scorer: Ann\nbodyparts: [hand, finger]\n"


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


class Payload:
    """What a crafted file holds: unpickling it creates `marker` (it could run anything)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


def frame(index: list[str] | list[tuple[str, str, str]]) -> pd.DataFrame:
    columns = pd.MultiIndex.from_product(
        [["Ann"], ["hand", "finger"], ["x", "y"]], names=["scorer", "bodyparts", "coords"]
    )
    rows = pd.MultiIndex.from_tuples(index) if isinstance(index[0], tuple) else index
    return pd.DataFrame([[1.5, 2.5, np.nan, np.nan]], columns=columns, index=rows)


def with_object_column(path: Path, marker: Path) -> Path:
    """A DLC table plus a column of Python objects: pandas pickles it into the file."""
    df = frame(["labeled-data/v1/img1.png"])
    df[("Ann", "evil", "x")] = pd.Series([Payload(marker)], index=df.index, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns that object columns are pickled
        df.to_hdf(path, key="df_with_missing", mode="w")
    return path


def project_with(root: Path, h5: Path) -> Path:
    write_tree(root, {"config.yaml": CONFIG, "labeled-data/v1/img1.png": image_bytes(1)})
    (root / "labeled-data/v1/CollectedData_Ann.h5").write_bytes(h5.read_bytes())
    return root


def test_refuses_an_h5_with_a_pickled_payload_and_never_runs_it(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    marker = tmp_path / "payload-ran"
    crafted = with_object_column(tmp_path / "crafted.h5", marker)
    root = project_with(tmp_path / "project", crafted)
    before = stored_counts(db)
    with pytest.raises(BadInput) as refused:
        run_import(db, store, Format.dlc, root, user=make_user(db), name="evil")
    message = refused.value.detail
    assert "\n" not in message
    assert message.startswith("labeled-data/v1/CollectedData_Ann.h5 (df_with_missing)")
    assert "/block1_values: holds object values (pickled Python objects" in message
    assert not marker.exists()
    db.rollback()
    assert stored_counts(db)[1:] == before[1:] and blob_files(store.root) == []
    # The file is a live payload: pandas' own reader runs it.
    pd.read_hdf(crafted, "df_with_missing")
    assert marker.exists()


def test_refuses_a_table_format_h5_whose_column_keys_are_a_pickled_payload(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "payload-ran"
    crafted = tmp_path / "crafted.h5"
    frame(["labeled-data/v1/img1.png"]).to_hdf(
        crafted, key="df_with_missing", mode="w", format="table"
    )
    with h5py.File(crafted, "r+") as f:
        payload = pickle.dumps(Payload(marker), protocol=0)
        f["df_with_missing/table"].attrs["values_block_0_kind"] = np.bytes_(payload)
    with pytest.raises(BadInput, match=r"'values_block_0_kind' holds pickled Python objects"):
        read_frame("crafted.h5", crafted.read_bytes())
    assert not marker.exists()
    with pytest.raises(Exception):  # noqa: B017 - pandas fails after running it
        pd.read_hdf(crafted, "df_with_missing")
    assert marker.exists()


@pytest.mark.parametrize(
    ("layout", "index"),
    [
        ("fixed", ["labeled-data/v1/img1.png"]),
        ("fixed", [("labeled-data", "v1", "img1.png")]),
        ("table", ["labeled-data/v1/img1.png"]),
    ],
    ids=["fixed-path-index", "fixed-three-level-index", "table-path-index"],
)
def test_reads_both_pandas_layouts_as_pandas_does(
    tmp_path: Path,
    layout: Literal["fixed", "table"],
    index: list[str] | list[tuple[str, str, str]],
) -> None:
    path = tmp_path / "t.h5"
    frame(index).to_hdf(path, key="df_with_missing", mode="w", format=layout)
    table = from_h5("t.h5", path.read_bytes())
    assert table.scorer == "Ann"
    assert table.bodyparts == ["hand", "finger"]
    (row,) = table.rows
    assert row.path == "labeled-data/v1/img1.png"
    assert table.point(row, "", "hand") == (1.5, 2.5)
    assert table.point(row, "", "finger") is None


def test_refuses_a_file_that_is_not_hdf5() -> None:
    with pytest.raises(BadInput, match=r"^x.h5: not a readable HDF5 file"):
        read_frame("x.h5", b"not hdf5 at all")


def test_the_real_h5_gives_the_coordinates_of_its_csv() -> None:
    h5 = shared(*REAL_H5)
    from_table = from_h5(h5.name, h5.read_bytes())
    csv = h5.with_suffix(".csv")
    from_text = from_csv(csv.name, csv.read_bytes())
    assert from_table.bodyparts == ["Hand", "Finger1", "Tongue", "Joystick1", "Joystick2"]
    assert [r.path for r in from_table.rows] == [r.path for r in from_text.rows]
    assert len(from_table.rows) == 55
    for a, b in zip(from_table.rows, from_text.rows, strict=True):
        assert a.values == pytest.approx(b.values, nan_ok=True)
    # and what pandas reads from the same (trusted) file
    df = pd.read_hdf(h5)
    assert isinstance(df, pd.DataFrame)
    values = [[v if v is not None else np.nan for v in r.values] for r in from_table.rows]
    np.testing.assert_array_equal(np.array(values), df.to_numpy())


def test_the_real_project_reads_the_same_from_its_h5_as_from_its_csv(tmp_path: Path) -> None:
    source = shared("dlc_reaching_mouse")
    frames = sorted((source / "labeled-data/reachingvideo1").glob("*.png"))
    files = {"config.yaml": (source / "config.yaml").read_bytes()}
    files |= {f"labeled-data/reachingvideo1/{p.name}": b"" for p in frames}
    root = write_tree(tmp_path, files)
    for suffix in (".csv", ".h5"):
        table = shared(*REAL_H5).with_suffix(suffix)
        (root / "labeled-data/reachingvideo1" / table.name).write_bytes(table.read_bytes())
    with bundle_of(root) as bundle:
        from_csv_ds = dlc.read(bundle)
    (root / "labeled-data/reachingvideo1/CollectedData_Mackenzie.csv").unlink()
    with bundle_of(root) as bundle:
        from_h5_ds = dlc.read(bundle)
    labeled = [i for i in from_h5_ds.items if i.points is not None]
    assert len(labeled) == 55
    for a, b in zip(from_csv_ds.items, from_h5_ds.items, strict=True):
        assert (a.file_name, a.name) == (b.file_name, b.name)
        assert a.points == b.points


def test_refuses_a_dataset_that_declares_more_data_than_a_labels_table_holds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bomb.h5"
    frame(["labeled-data/v1/img1.png"]).to_hdf(path, key="df_with_missing", mode="w")
    with h5py.File(path, "r+") as f:
        del f["df_with_missing/block0_values"]
        # 4 GiB of zeros, a few KB on disk once compressed
        f.create_dataset(
            "df_with_missing/block0_values", shape=(1 << 27, 4), dtype="f8",
            chunks=(1 << 16, 4), compression="gzip",
        )  # fmt: skip
    with pytest.raises(BadInput, match=r"block0_values: declares 4294967296 bytes of data"):
        read_frame("bomb.h5", path.read_bytes())


def test_reads_a_multi_animal_h5_with_individuals_and_unique_body_parts(tmp_path: Path) -> None:
    keys = [
        ("S", "mouse1", "nose", "x"),
        ("S", "mouse1", "nose", "y"),
        ("S", "mouse2", "nose", "x"),
        ("S", "mouse2", "nose", "y"),
        ("S", "single", "lever", "x"),
        ("S", "single", "lever", "y"),
    ]
    columns = pd.MultiIndex.from_tuples(
        keys, names=["scorer", "individuals", "bodyparts", "coords"]
    )
    rows = pd.MultiIndex.from_tuples([("labeled-data", "v1", "img1.png")])
    df = pd.DataFrame([[np.nan, np.nan, 3.0, 4.0, 5.0, 6.0]], columns=columns, index=rows)
    df.to_hdf(tmp_path / "ma.h5", key="df_with_missing", mode="w")
    table = from_h5("ma.h5", (tmp_path / "ma.h5").read_bytes())
    assert table.individuals == ["mouse1", "mouse2"]
    assert table.bodyparts == ["nose", "lever"]
    (row,) = table.rows
    assert table.point(row, "mouse1", "nose") is None
    assert table.point(row, "mouse2", "nose") == (3.0, 4.0)
    assert table.point(row, "single", "lever") == (5.0, 6.0)
