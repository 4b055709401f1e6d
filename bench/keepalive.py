"""A minimal HTTP/1.1 keep-alive client for load generation.

The load bench runs its 200 clients on the same two cores as the server it measures, so every
millisecond a client spends is taken from the server. httpx's AsyncClient cost 3.8-4.0 ms of
CPU per request there (a quarter of the machine at saturation); this client writes the request
bytes itself and reads the status line, headers and a Content-Length or chunked body, for a
fraction of that. It speaks only what the bench needs: one connection, one request at a time,
no redirects, no TLS, no compression.
"""

from __future__ import annotations

import asyncio
import contextlib
import json as json_codec
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit


class Response:
    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.content = body

    def json(self) -> Any:
        return json_codec.loads(self.content)


class KeepAliveClient:
    """One persistent connection to `base` (http://host:port/prefix)."""

    def __init__(self, base: str, headers: Mapping[str, str], timeout: float = 60.0) -> None:
        url = urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.prefix = url.path.rstrip("/")
        self.timeout = timeout
        fixed = {"Host": f"{self.host}:{self.port}", "Connection": "keep-alive", **headers}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    @property
    def local_port(self) -> int | None:
        """This end's TCP port while connected: how the bench finds the server process that
        accepted the connection."""
        if self._streams is None:
            return None
        return int(self._streams[1].get_extra_info("sockname")[1])

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Response:
        query = f"?{urlencode(params)}" if params else ""
        return await self.request("GET", path + query)

    async def put(self, path: str, json: Any) -> Response:
        return await self.request("PUT", path, json_codec.dumps(json).encode())

    async def request(self, method: str, path: str, body: bytes | None = None) -> Response:
        """Send one request and read its response; a failure closes the connection (the
        next request opens a new one) and raises `OSError` (a response cut short or malformed
        is a `ConnectionError`) or `TimeoutError`."""
        try:
            return await asyncio.wait_for(self._exchange(method, path, body), self.timeout)
        except (TimeoutError, OSError):
            await self.aclose()
            raise
        except (asyncio.IncompleteReadError, ValueError, IndexError) as error:
            await self.aclose()
            raise ConnectionError(f"bad response from the server: {error!r}") from error

    async def _exchange(self, method: str, path: str, body: bytes | None) -> Response:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        head = f"{method} {self.prefix}{path} HTTP/1.1\r\n{self._fixed}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode("latin-1") + b"\r\n" + (body or b""))
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = None, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = value == "close"
        if chunked:
            content = await _read_chunked(reader)
        elif length is not None:
            content = await reader.readexactly(length)
        else:
            content, close = await reader.read(), True
        if close:
            await self.aclose()
        return Response(status, content)

    async def aclose(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readline()).split(b";")[0], 16)
        if size == 0:
            while await reader.readline() not in (b"\r\n", b""):  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
