"""The load bench's lean HTTP client (`bench/keepalive.py`) reads what uvicorn writes: bodies
by Content-Length or chunked, on one kept-alive connection, and opens a new one when the
server closes it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tests.coroutines import run_to_end

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from keepalive import KeepAliveClient

RESPONSES = {
    b"/length": b'HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{"a": [1]} ',
    b"/chunked": (
        b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
        b"4\r\nkeyl\r\n3;ext=1\r\noop\r\n0\r\n\r\n"
    ),
    b"/close": b"HTTP/1.1 503 Busy\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno",
}


async def serve(connections: list[int], bodies: list[bytes]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while request_line := await reader.readline():
            length = 0
            while (line := await reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            bodies.append(await reader.readexactly(length))
            path = request_line.split(b" ")[1].split(b"?")[0].removeprefix(b"/api")
            writer.write(RESPONSES[path])
            await writer.drain()
            if path == b"/close":
                break
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_reads_length_and_chunked_bodies_on_one_connection_and_reconnects_after_close() -> None:
    async def run() -> tuple[list[tuple[int, bytes]], int, list[bytes]]:
        connections: list[int] = []
        bodies: list[bytes] = []
        server = await serve(connections, bodies)
        port = server.sockets[0].getsockname()[1]
        client = KeepAliveClient(f"http://127.0.0.1:{port}/api", {"X-CSRF-Token": "t"})
        seen = []
        for send in (
            client.get("/length", {"limit": 10}),
            client.put("/chunked", json={"version": 3}),
            client.get("/length"),
            client.get("/close"),
            client.get("/length"),
        ):
            response = await send
            seen.append((response.status_code, response.content))
        assert (await client.get("/length")).json() == {"a": [1]}
        await client.aclose()
        server.close()
        return seen, len(connections), bodies

    seen, connections, bodies = run_to_end(run())
    assert [status for status, _ in seen] == [200, 201, 200, 503, 200]
    assert seen[1][1] == b"keyloop"
    assert connections == 2  # one until the server said close, then one more
    assert b'{"version": 3}' in bodies


def test_a_server_that_goes_away_is_a_connection_error() -> None:
    async def run() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = KeepAliveClient(f"http://127.0.0.1:{port}", {})
        with pytest.raises(ConnectionError):
            await client.get("/anything")
        server.close()

    run_to_end(run())


def test_a_malformed_or_cut_response_is_a_connection_error() -> None:
    async def run(answer: bytes) -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readline()
            writer.write(answer)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = KeepAliveClient(f"http://127.0.0.1:{port}", {})
        with pytest.raises(ConnectionError):
            await client.get("/anything")
        server.close()

    run_to_end(run(b"nonsense\r\n\r\n"))
    run_to_end(run(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nshort"))
