"""ClickHouse for analytics, when CLICKHOUSE_URL is set: a server, or chdb in-process.

  http(s)://user:password@host:8123/database   a server, through clickhouse-connect
  chdb:///path/to/folder                       embedded ClickHouse (chdb), kept in that folder

Both run the same SQL, with ClickHouse's own `{name:Type}` parameters, so what the tests run
on chdb is what production runs on a server. Unset: get_clickhouse() is None and callers
use the primary database.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from jobspy_web.settings import from_settings, get_settings

__all__ = ["ClickHouse", "close_clickhouse", "get_clickhouse"]


class ClickHouse(Protocol):
    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]: ...
    def command(self, sql: str) -> None: ...
    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None: ...
    def close(self) -> None: ...


class ServerClickHouse:
    def __init__(self, url: str) -> None:
        import clickhouse_connect  # imported only where a server is configured

        parts = urlsplit(url)
        self._client = clickhouse_connect.get_client(
            host=parts.hostname or "localhost",
            port=parts.port or (8443 if parts.scheme == "https" else 8123),
            username=parts.username or "default",
            password=parts.password or "",
            database=parts.path.strip("/") or "default",
            secure=parts.scheme == "https",
        )
        self._lock = threading.Lock()  # one HTTP session: clickhouse-connect's client is not thread-safe

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            return [tuple(row) for row in self._client.query(sql, parameters=dict(parameters or {})).result_rows]

    def command(self, sql: str) -> None:
        with self._lock:
            self._client.command(sql)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            self._client.insert(table, [list(row) for row in rows], column_names=list(columns))

    def close(self) -> None:
        self._client.close()


class EmbeddedClickHouse:
    """chdb: ClickHouse in this process; one session, used by one thread at a time."""

    def __init__(self, folder: Path) -> None:
        from chdb import session  # imported only where chdb is configured

        folder.mkdir(parents=True, exist_ok=True)
        self._session = session.Session(str(folder))
        self._lock = threading.Lock()

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            result = self._session.query(sql, "JSONCompact", params=dict(parameters or {}))
        text = result.bytes() if hasattr(result, "bytes") else bytes(result)
        return [tuple(row) for row in orjson.loads(text)["data"]] if text else []

    def command(self, sql: str) -> None:
        with self._lock:
            self._session.query(sql)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # JSONEachRow inline: chdb takes SQL text only, and this keeps values out of the SQL.
        for start in range(0, len(rows), 50_000):
            lines = b"\n".join(orjson.dumps(dict(zip(columns, row, strict=True)), default=str) for row in rows[start : start + 50_000])
            with self._lock:
                self._session.query(f"INSERT INTO {table} ({', '.join(columns)}) FORMAT JSONEachRow\n" + lines.decode())

    def close(self) -> None:
        self._session.close()


@from_settings
def get_clickhouse() -> ClickHouse | None:
    url = get_settings().clickhouse_url.get_secret_value()
    if not url:
        return None
    if url.startswith("chdb:"):
        return EmbeddedClickHouse(Path(urlsplit(url).path or "chdb"))
    return ServerClickHouse(url)


def close_clickhouse() -> None:
    """Close the connection or embedded session (tests switch between them)."""
    if get_clickhouse.cache_info().currsize:
        client = get_clickhouse()
        if client is not None:
            client.close()
    get_clickhouse.cache_clear()
