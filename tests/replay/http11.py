"""Just enough HTTP/1.1 for the proxy: read one request, write one response."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    """As sent: "/path?query" in a tunnel, "host:port" for CONNECT, a URL otherwise."""
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """The query's parameters, the last value of each."""
        return dict(parse_qsl(urlsplit(self.target).query))

    def json(self) -> Any:  # a JSON value
        return json.loads(self.body)


@dataclass(frozen=True)
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    """Headers besides the content's type and length, e.g. a challenge page's Server."""


def json_response(data: object, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json")


def html_response(html: str) -> Response:
    return Response(body=html.encode())


def status_response(status: int) -> Response:
    """An answer with no content but its status's reason."""
    return Response(status, _phrase(status).encode(), "text/plain")


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The connection's next request; None once the client has closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if e.partial.strip():
            raise
        return None
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", 0))
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


async def write_response(writer: asyncio.StreamWriter, response: Response) -> None:
    headers = "".join(f"{name}: {value}\r\n" for name, value in response.headers)
    head = (
        f"HTTP/1.1 {response.status} {_phrase(response.status)}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(response.body)}\r\n"
        f"{headers}\r\n"
    )
    writer.write(head.encode("latin-1") + response.body)
    await writer.drain()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
