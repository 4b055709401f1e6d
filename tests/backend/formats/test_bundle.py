"""The files of an import: safe names, zips read member by member, image look-up."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from backend.errors import BadInput, PayloadTooLarge
from backend.formats.bundle import Bundle, DirSink, safe_name
from tests.backend.formats.helpers import (
    bad_crc_zip,
    image_bytes,
    patched_zip,
    write_tree,
    zip_of,
)


@pytest.mark.parametrize("name", ["../x.png", "/etc/passwd", "a/../../x", "C:/x.png", "..\\x"])
def test_refuses_names_that_escape_their_container(name: str) -> None:
    with pytest.raises(BadInput, match=r"points outside the archive"):
        safe_name("up.zip", name)


def test_a_zip_slip_entry_is_refused_before_anything_is_read() -> None:
    data = zip_of({"ok.png": b"1", "../../evil.png": b"2"})
    with Bundle() as bundle, pytest.raises(BadInput, match=r"up.zip: entry '../../evil.png'"):
        bundle.add_zip("up.zip", io.BytesIO(data))


def test_resolves_references_by_path_then_relative_then_suffix_then_base_name(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "project/ann.json": b"{}",
            "project/images/a.png": b"a",
            "elsewhere/deep/b.png": b"b",
            "one/c.png": b"c1",
            "two/c.png": b"c2",
        },
    )
    with Bundle() as bundle:
        bundle.add_path(tmp_path)
        assert bundle.resolve("project/images/a.png") == "project/images/a.png"
        assert bundle.resolve("images/a.png", near="project/ann.json") == "project/images/a.png"
        assert bundle.resolve("deep/b.png") == "elsewhere/deep/b.png"
        assert bundle.resolve("C:\\Users\\lab\\b.png") == "elsewhere/deep/b.png"
        assert bundle.resolve("c.png") is None  # two candidates: refuse to guess
        assert bundle.resolve("missing.png") is None


def test_zip_members_and_loose_files_are_read_one_at_a_time_with_a_limit() -> None:
    with Bundle() as bundle:
        bundle.add_zip("up.zip", io.BytesIO(zip_of({"dir/a.png": b"x" * 10, "__MACOSX/._a": b""})))
        bundle.add_file("C:\\fakepath\\ann.json", lambda: io.BytesIO(b"{}"))
        assert bundle.names() == ["dir/a.png", "ann.json"]
        assert bundle.read("ann.json", limit=10) == b"{}"
        with pytest.raises(PayloadTooLarge, match=r"dir/a.png: larger than the 5-byte limit"):
            bundle.read("dir/a.png", limit=5)


def test_a_loose_file_keeps_its_folders_as_a_browser_folder_upload_sends_them() -> None:
    with Bundle() as bundle:
        bundle.add_file("mouse/labeled-data/v1/img001.png", lambda: io.BytesIO(b"1"))
        bundle.add_file("mouse/labeled-data/v2/img001.png", lambda: io.BytesIO(b"2"))
        bundle.add_file("./mouse\\config.yaml", lambda: io.BytesIO(b"3"))
        bundle.add_file("/home/lab/ann.json", lambda: io.BytesIO(b"4"))
        assert bundle.names() == [
            "mouse/labeled-data/v1/img001.png",
            "mouse/labeled-data/v2/img001.png",
            "mouse/config.yaml",
            "ann.json",
        ]
        assert bundle.read("mouse/labeled-data/v2/img001.png", limit=1) == b"2"


@pytest.mark.parametrize("name", ["../evil.png", "mouse/../../evil.png", "a\\..\\..\\b.png"])
def test_refuses_a_loose_file_whose_name_climbs_out_of_the_upload(name: str) -> None:
    with Bundle() as bundle, pytest.raises(BadInput, match=r"may not contain '\.\.'"):
        bundle.add_file(name, lambda: io.BytesIO(b"1"))


def test_the_same_name_twice_is_an_error() -> None:
    with Bundle() as bundle, pytest.raises(BadInput, match=r"a.png appears more than once"):
        bundle.add_file("a.png", lambda: io.BytesIO(b"1"))
        bundle.add_zip("up.zip", io.BytesIO(zip_of({"a.png": b"2"})))


def test_a_directory_sink_refuses_escaping_names(tmp_path: Path) -> None:
    sink = DirSink(tmp_path)
    sink.write_bytes("sub/x.txt", b"ok")
    assert (tmp_path / "sub/x.txt").read_bytes() == b"ok"
    with pytest.raises(BadInput):
        sink.write_bytes("../escape.txt", b"no")


def _read_all(label: str, data: bytes, limit: int = 1 << 20) -> None:
    with Bundle() as bundle:
        bundle.add_zip(label, io.BytesIO(data))
        for name in bundle.names():
            bundle.read(name, limit)


def test_a_member_with_a_bad_crc_is_refused_naming_archive_and_member() -> None:
    data = bad_crc_zip({"ok.png": image_bytes(1), "img/a.png": image_bytes(2)}, "img/a.png")
    with pytest.raises(BadInput, match=r"^up\.zip: member 'img/a\.png' is damaged \(Bad CRC-32"):
        _read_all("up.zip", data)


def test_a_member_with_corrupt_deflate_data_is_refused_naming_it() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.csv", b"x,y\n" * 1000)
    raw = bytearray(buf.getvalue())
    raw[40:60] = b"\xff" * 20  # inside the compressed stream, after the local header
    with pytest.raises(BadInput, match=r"^up\.zip: member 'a\.csv' (is damaged|cannot be read)"):
        _read_all("up.zip", bytes(raw))


def test_an_encrypted_member_is_refused_when_the_zip_is_listed() -> None:
    data = patched_zip({"a.png": image_bytes(1)}, flags=0x1)
    with Bundle() as bundle, pytest.raises(BadInput, match=r"up\.zip: member 'a\.png' is encr"):
        bundle.add_zip("up.zip", io.BytesIO(data))


@pytest.mark.parametrize("method", [9, 6, 99])  # deflate64, implode, an unknown number
def test_an_unreadable_compression_method_is_refused_when_the_zip_is_listed(method: int) -> None:
    data = patched_zip({"a.png": image_bytes(1)}, method=method)
    with (
        Bundle() as bundle,
        pytest.raises(BadInput, match=f"member 'a.png' uses zip compr.* {method}"),
    ):
        bundle.add_zip("up.zip", io.BytesIO(data))


def test_members_declared_sizes_are_counted_before_anything_is_decompressed() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.bin", b"\0" * 5_000_000)
        zf.writestr("b.png", image_bytes(1))
    assert len(buf.getvalue()) < 20_000
    with Bundle() as bundle:
        bundle.add_zip("up.zip", io.BytesIO(buf.getvalue()))
        assert bundle.expanded_bytes == 5_000_000 + len(image_bytes(1))
        with pytest.raises(PayloadTooLarge, match=r"bomb\.bin: larger than the 1000-byte limit"):
            bundle.read("bomb.bin", 1000)


def test_a_copy_stops_at_its_limit(tmp_path: Path) -> None:
    with Bundle() as bundle:
        bundle.add_zip("up.zip", io.BytesIO(zip_of({"a.slp": b"x" * 5000})))
        with pytest.raises(PayloadTooLarge, match=r"a\.slp: larger than the 4096-byte limit"):
            bundle.copy_to("a.slp", tmp_path / "copy", 4096)
        bundle.copy_to("a.slp", tmp_path / "copy", 5000)
    assert (tmp_path / "copy").read_bytes() == b"x" * 5000


def test_a_fuzzed_zip_is_read_or_refused_but_never_crashes() -> None:
    """Random byte changes anywhere in a zip (headers, sizes, data): every outcome is the
    archive read, or a BadInput / PayloadTooLarge naming it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.png", image_bytes(1), compress_type=zipfile.ZIP_STORED)
        zf.writestr("d/b.csv", b"x,y\n1,2\n" * 200, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("c.txt", b"hello" * 100, compress_type=zipfile.ZIP_BZIP2)
    original = buf.getvalue()
    rng = random.Random(14)
    outcomes = {"read": 0, "refused": 0}
    for _ in range(400):
        raw = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        try:
            _read_all("up.zip", bytes(raw), limit=100_000)
            outcomes["read"] += 1
        except (BadInput, PayloadTooLarge) as exc:
            assert exc.detail.startswith(("up.zip", "a.png", "d/b.csv", "c.txt")), exc.detail
            assert "\n" not in exc.detail
            outcomes["refused"] += 1
    assert outcomes["refused"] > 50 and outcomes["read"] > 10, outcomes
