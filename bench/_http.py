"""A lean HTTP/1.1 client for closed-loop load: one kept-alive connection per client loop,
requests written as prepared bytes, answers read by Content-Length. It costs the
benchmark's process a small fraction of what httpx does per request, so that a REST arm
measures the server rather than the client library (the gRPC arm's client is grpc's C
core)."""
from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode, urlsplit


def request_bytes(method: str, path: str, headers: dict[str, str], params: dict | None = None,
                  body: object = None) -> bytes:
    if params:
        path = f"{path}?{urlencode(params)}"
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", "Host: bench", *(f"{k}: {v}" for k, v in headers.items())]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Connection:
    """One kept-alive connection; `send` returns the status and body of a unary answer."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname, parts.port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length = next((int(line.split(":", 1)[1]) for line in header_lines
                       if line[:15].lower() == "content-length:"), None)
        if length is None:
            raise RuntimeError(f"answer without Content-Length: {status_line}")
        return int(status_line.split(" ", 2)[1]), await self._reader.readexactly(length)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
