"""Validate, the License Server's busiest use case, as one pipeline: what POST
/licenses/validate runs and what the specification tests call.

    parse      the body as ValidateRequest (a mistyped key fails its checksum here)
    limits     per IP, then per key, in the same Redis round trip as the cache read
    cache      a hit is sent as it was signed (expiry and app version checked again)
    database   on a miss, one statement (licensing.store.MISS, SQLAlchemy Core) on
               PostgreSQL, on the event loop over a few asyncpg connections; a machine to bind, and
               every miss on SQLite, through licensing.licenses in a worker thread
    answer     signed (licensing.signing), cached under the generation read before deciding

`validate` never raises for a bad key (the answer says NOT_FOUND); it raises LicenseError
for a request it can't answer: 413/400/422 (the body), 429 (a limit), 503 (the database is
busy). The order of the checks and the cache's rules: licensing.licenses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

import asyncpg
import orjson
from anyio import CapacityLimiter, to_thread
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.exc import DBAPIError

from jobspy_web import db
from jobspy_web.db import write_session
from jobspy_web.infra import metrics, pg_reads, rate_limits
from jobspy_web.infra.connection_sets import PerLoop
from jobspy_web.infra.pg_connections import ConnectionList
from jobspy_web.licensing import keys, licenses, store
from jobspy_web.licensing.licenses import APP_VERSION_PATTERN, LicenseError, SignedAnswer
from jobspy_web.models.base import utcnow
from jobspy_web.settings import from_settings, get_settings

__all__ = ["DeactivateRequest", "ValidateRequest", "aclose", "parse_within_limits", "validate"]

log = logging.getLogger(__name__)
CONNECTIONS_PER_WORKER = 4  # more only queue at PostgreSQL's row locks and the GIL
DATABASE_THREADS = 4  # past a few, threads only take turns at the GIL
TIMEOUT_S = 10.0


class DeactivateRequest(BaseModel):
    model_config = ConfigDict(strict=True)

    license_key: str = Field(max_length=100)
    # Printable ASCII without spaces; our client sends 64 hex digits.
    hardware_fp: str = Field(min_length=16, max_length=128, pattern=r"^[\x21-\x7e]+$")

    @field_validator("license_key")
    @classmethod
    def _canonical_key(cls, value: str) -> str:
        canonical = keys.parse_key(value)
        if canonical is None:
            raise ValueError("This is not a license key; check it for typos.")
        return canonical


class ValidateRequest(DeactivateRequest):
    app_version: str = Field(max_length=64, pattern=APP_VERSION_PATTERN)


Body = TypeVar("Body", bound=DeactivateRequest)
Result = TypeVar("Result")


async def validate(raw: bytes, *, ip: str, body_limit: int, now: datetime | None = None) -> SignedAnswer:
    """The signed answer to the validate request `raw` from `ip` (see the module's docstring)."""
    body, key_hash, cached, generation = await parse_within_limits(raw, ip, ValidateRequest, body_limit=body_limit, read_answer=True)
    if cached is not None:
        answer = licenses.answer_from_cache(cached, fingerprint=body.hardware_fp, app_version=body.app_version, now=now)
        if answer is not None:
            metrics.count_validation(cached["code"] or "VALID", cache_hit=True)
            return answer
    counted = False
    if pg_reads.on_postgresql():
        now = now or utcnow()
        answer, counted = await _miss(body, key_hash, generation, now)
        if answer is not None:
            return _counted_miss(answer)
    # A machine to bind (already counted), or SQLite: the full path, in a thread.
    return _counted_miss(await in_thread(lambda: _from_database(body, now, counted)))


def _counted_miss(answer: SignedAnswer) -> SignedAnswer:
    metrics.count_validation(answer.code or "VALID", cache_hit=False)
    return answer


async def parse_within_limits(
    raw: bytes, ip: str, model: type[Body], *, body_limit: int, read_answer: bool = False
) -> tuple[Body, str, Any | None, int]:
    """`raw` as `model`, counted against the limits of `ip` and of its key: the body, its
    key's hash, and with `read_answer` (and Redis) the cached answer and its license's
    generation, read in the same round trip. A body that can't be parsed still counts
    against its IP, and a 429 wins over its 400, 413 or 422."""
    settings = get_settings()
    per_ip = rate_limits.Check(settings.license_limit_per_ip, ("license-ip", ip))
    try:
        body = _parsed(raw, model, body_limit)
    except LicenseError:
        _raise_if_refused((await rate_limits.hit_each([per_ip]))[0])
        raise
    key_hash = keys.hash_key(body.license_key)
    checks = [per_ip, rate_limits.Check(settings.license_limit_per_key, ("license-key", key_hash))]
    then_get: tuple[str, ...] = ()
    if read_answer and licenses.caches_answers():
        then_get = licenses.answer_cache_keys(key_hash=key_hash, fingerprint=body.hardware_fp)
    verdict, found = await rate_limits.hit_each(checks, then_get=then_get)
    _raise_if_refused(verdict)
    return body, key_hash, found[0] if found else None, (found[1] if found else None) or 0


def _parsed(raw: bytes, model: type[Body], body_limit: int) -> Body:
    if len(raw) > body_limit:
        raise LicenseError(f"The request body is over {body_limit} bytes.", "BODY_TOO_LARGE", status=413)
    try:
        return model.model_validate_json(raw or b"null")  # pydantic reads the bytes itself: one parse
    except ValidationError as error:
        problems = error.errors(include_url=False)
        if any(problem["type"] == "json_invalid" for problem in problems):
            raise LicenseError("The request body is not valid JSON.", "MALFORMED_JSON") from None
        if any(problem["type"] == "model_type" and not problem["loc"] for problem in problems):
            raise LicenseError("The request body must be a JSON object.", "INVALID_REQUEST", status=422) from None
        fields = {".".join(str(part) for part in problem["loc"]) or "body": problem["msg"] for problem in problems}
        raise LicenseError("Some fields are missing or invalid.", "INVALID_REQUEST", status=422, fields=fields) from None


def _raise_if_refused(verdict: rate_limits.Verdict) -> None:
    if not verdict.allowed:
        seconds = verdict.retry_after_s
        raise LicenseError(f"Too many license requests; try again in {seconds} seconds.", "RATE_LIMITED", status=429, retry_after_s=seconds)


def _busy() -> LicenseError:
    return LicenseError("The license server is busy; try again shortly.", "BUSY", status=503, retry_after_s=1)


# --- a miss on PostgreSQL: one statement on the event loop ----------------------------------


async def _miss(body: ValidateRequest, key_hash: str, generation: int, now: datetime) -> tuple[SignedAnswer | None, bool]:
    """The signed answer decided from store.MISS, cached; (None, counted) when a machine is
    to be bound (licensing.licenses must decide) or no license has the key hash."""
    supported = licenses.version_supported(body.app_version)
    parameters = {
        "key_hash": key_hash,
        "validated_at": now,
        "for_fingerprint": body.hardware_fp,
        "version": body.app_version,
        "supported": supported,
    }
    if await pg_reads.replica_serves_reads():
        answer = await _miss_on_replica(body, key_hash, generation, now, parameters)
        if answer is not None:
            return answer, True
    row = await _fetch_row(parameters)
    decided = licenses.decide_from_license(_decoded(row), app_version=body.app_version, now=now)
    if decided.machine_decides and not (row is not None and row["seen_again"]):
        return None, True
    signed = licenses.sign_answer(decided.answer.as_json(), fingerprint=body.hardware_fp, checked_at=now)
    if decided.cacheable:
        await licenses.remember_answer(
            key_hash=key_hash, fingerprint=body.hardware_fp, answer=decided.answer, signed=signed, generation=generation
        )
    return signed, True


# --- a miss with a read replica: decided there, counted on the primary -----------------------


async def _miss_on_replica(
    body: ValidateRequest, key_hash: str, generation: int, now: datetime, parameters: dict[str, Any]
) -> SignedAnswer | None:
    """The answer decided from the replica (store.REPLICA_DECISION), its count sent to the
    primary without waiting; None when the primary must decide: a machine to bind, or the
    replica failing now (counted as a fallback).

    Cached only when the replica had replayed all the WAL it had received: a change made on
    the primary a moment ago is then either here or still in transit (milliseconds), so an
    answer from before the change is not kept for the cache's hour; and the primary's count
    checks the answer again (_count_and_check). A key the replica doesn't know is asked of
    the primary (one issued a moment ago may not have arrived)."""
    row = await pg_reads.on_replica(lambda: _connections(replica=True).fetchrow(_REPLICA.sql, *_REPLICA.arguments(parameters)))
    if row is pg_reads.FAILED:
        return None
    if row is None:
        return None  # a key issued a moment ago may not be here yet: the primary says NOT_FOUND
    decided = licenses.decide_from_license(_decoded(row), app_version=body.app_version, now=now)
    if decided.machine_decides and not row["seen_again"]:
        return None
    db.DATABASE_READS.labels("replica").inc()
    signed = licenses.sign_answer(decided.answer.as_json(), fingerprint=body.hardware_fp, checked_at=now)
    _count_later(parameters, key_hash=key_hash, answered=decided.answer, app_version=body.app_version, now=now)
    if decided.cacheable and row["caught_up"]:
        await licenses.remember_answer(
            key_hash=key_hash, fingerprint=body.hardware_fp, answer=decided.answer, signed=signed, generation=generation
        )
    return signed


_counting: set[asyncio.Task[Any]] = set()


def _count_later(parameters: dict[str, Any], **check: Any) -> None:
    # store.MISS on the primary: the validation counted and the machine seen, as without a
    # replica; the answer does not wait for it.
    task = asyncio.get_running_loop().create_task(_count_and_check(parameters, **check))
    _counting.add(task)
    task.add_done_callback(_counting.discard)


async def _count_and_check(parameters: dict[str, Any], *, key_hash: str, answered: Any, app_version: str, now: datetime) -> None:
    """Count on the primary; if what it decides differs from what the replica answered (a
    change the replica had not replayed yet), forget the license's cached answers, so a
    stale one lives no longer than this round trip."""
    try:
        row = await _fetch_row(parameters)
        truth = licenses.decide_from_license(_decoded(row), app_version=app_version, now=now)
        if truth.answer != answered:
            await in_thread(lambda: licenses._forget_answers(key_hash))
    except Exception:
        log.warning("a validation's count on the primary failed", exc_info=True)


async def _fetch_row(parameters: dict[str, Any]) -> asyncpg.Record | None:
    # The statement commits alone: one that failed on a dropped connection counted nothing,
    # so on_primary may try it again. No timeout= on fetchrow: the connections'
    # command_timeout is the same, and an explicit one costs a timer per call.
    arguments = _MISS.arguments(parameters)
    return await pg_reads.on_primary(
        lambda: _connections().fetchrow(_MISS.sql, *arguments), tries=CONNECTIONS_PER_WORKER + 1, unavailable=lambda _why: _busy()
    )


def _decoded(row: Any) -> Any:
    return None if row is None else SimpleNamespace(**{**dict(row), "features": orjson.loads(row["features"])})


# store.MISS as SQLAlchemy's asyncpg dialect renders it, run on asyncpg connections: through
# SQLAlchemy's async engine a miss cost ~3x the CPU (bench/license_validate.py: miss floor
# ~1,000 us against ~300), more than the Express peer spends on its whole miss.
_MISS = pg_reads.Statement(store.MISS)
_REPLICA = pg_reads.Statement(store.REPLICA_DECISION)


# Per event loop, by `replica`; closed as their loop shuts down (a test's, a portal's).
_lists: PerLoop[dict[bool, ConnectionList]] = PerLoop(dict, close=pg_reads.close_lists)


def _connections(*, replica: bool = False) -> ConnectionList:
    """The running worker's connections for misses (opened as needed), on the primary or
    the read replica (infra.pg_connections: asyncpg's Pool cost ~3x the CPU per query)."""
    lists = _lists.get()
    found = lists.get(replica)
    if found is None:
        # synchronous_commit off: a crash in the next fraction of a second may lose the last
        # few counts and last-seen times, never a change to a license (those commit as usual).
        found = lists[replica] = pg_reads.connection_list(
            replica=replica,
            size=CONNECTIONS_PER_WORKER,
            application_name="jobspy-license-validate",
            timeout_s=TIMEOUT_S,
            synchronous_commit="off",
        )
    return found


# --- the full path, in a worker thread ------------------------------------------------------


def _from_database(body: ValidateRequest, now: datetime | None, counted: bool) -> SignedAnswer:
    for attempt in (1, 2):
        try:
            with write_session() as session:
                return licenses.answer_from_database(
                    session=session,
                    key=body.license_key,
                    fingerprint=body.hardware_fp,
                    app_version=body.app_version,
                    now=now,
                    counted=counted,
                )
        except DBAPIError as error:
            # A connection that died mid-statement (pool_pre_ping catches the idle ones):
            # the transaction rolled back, so once more on a fresh connection.
            if attempt == 2 or not error.connection_invalidated:
                raise
    raise AssertionError("unreachable")


@from_settings
def _database_threads() -> CapacityLimiter:
    return CapacityLimiter(DATABASE_THREADS)


async def in_thread(work: Callable[[], Result]) -> Result:
    """`work()` in one of the few worker threads kept for the database."""
    return await to_thread.run_sync(work, limiter=_database_threads())


async def aclose() -> None:
    """Close the connections and forget the database's address (tests switch
    databases and event loops; a worker's connections end with its process)."""
    await asyncio.gather(*_counting, return_exceptions=True)
    lists = _lists.pop()
    if lists is not None:
        await pg_reads.close_lists(lists)
    _database_threads.cache_clear()
