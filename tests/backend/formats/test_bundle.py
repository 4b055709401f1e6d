"""The files of an import: safe names, zips read member by member, image look-up."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from backend.errors import BadInput, PayloadTooLarge
from backend.formats.bundle import Bundle, DirSink, safe_name
from tests.backend.formats.helpers import write_tree, zip_of


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
