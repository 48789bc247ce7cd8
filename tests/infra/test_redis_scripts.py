"""HotScript against a real Redis (DB 13): auto-pipelining, replies in order, recovery.

Redis is shared with other test runs, so every HotScript here names its connection
(`?client_name=hot-test-<random>`) and the tests look only at clients with that name.
`writes` records what redis-py's asyncio connections send, so a test can count the
batches (one write per batch) and the EVALSHA / EVAL commands in each.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from redis.asyncio.connection import AbstractConnection, Connection
from redis.exceptions import BusyLoadingError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis_helpers import redis_test_url

from jobspy_web.infra import redis_scripts
from jobspy_web.infra.redis_scripts import HotScript, pack_command

pytestmark = pytest.mark.timeout(20)  # a hang is a failure, not a 5-minute wait

REDIS_URL = redis_test_url(13)
ECHO = "return ARGV[1]"
PAIR = "return {KEYS[1], ARGV[1]}"


def client_name() -> str:
    return f"hot-test-{uuid.uuid4().hex[:12]}"


def hot(name: str, source: str = ECHO) -> HotScript:
    return HotScript(f"{REDIS_URL}?client_name={name}", source)


def clients(admin: redis.Redis, name: str) -> list[dict[str, Any]]:
    return [client for client in admin.client_list() if client["name"] == name]


async def wait_for_clients(admin: redis.Redis, name: str, count: int) -> list[dict[str, Any]]:
    """The server frees a closed client on its own time: poll briefly."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2
    while len(found := clients(admin, name)) != count:
        assert loop.time() < deadline, f"expected {count} clients named {name}, found {found}"
        await asyncio.sleep(0.01)
    return found


async def until(condition: Callable[[], object]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0)


def evalsha_count(write: bytes) -> int:
    return write.count(b"$7\r\nEVALSHA\r\n")


def eval_count(write: bytes) -> int:
    return write.count(b"$4\r\nEVAL\r\n")


def script_batches(writes: list[bytes]) -> list[tuple[int, int]]:
    """(EVALSHA, EVAL) counts of each write that carried script calls (not the handshake)."""
    return [(evalsha_count(w), eval_count(w)) for w in writes if evalsha_count(w) or eval_count(w)]


@pytest.fixture
def admin() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    sent: list[bytes] = []
    original = AbstractConnection.send_packed_command

    async def spy(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        sent.append(command if isinstance(command, bytes) else b"".join(command))
        await original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", spy)
    return sent


# --- pack_command ---------------------------------------------------------------------------


def test_pack_command_exact_resp() -> None:
    packed = pack_command(b"EVALSHA", "abc", 2, -17, "é😀", b"\x00\r\n", "")
    assert packed == (
        b"*7\r\n"
        b"$7\r\nEVALSHA\r\n"
        b"$3\r\nabc\r\n"
        b"$1\r\n2\r\n"
        b"$3\r\n-17\r\n"
        b"$6\r\n\xc3\xa9\xf0\x9f\x98\x80\r\n"  # 2 characters, 6 bytes of UTF-8
        b"$3\r\n\x00\r\n\r\n"  # binary-safe: CRLF inside a part is counted, not parsed
        b"$0\r\n\r\n"
    )
    assert pack_command() == b"*0\r\n"


@pytest.mark.parametrize(
    "parts",
    [
        (b"EVALSHA", "a" * 40, 1, "key", "arg"),
        ("EVAL", "return 1", 0),
        ("SET", "ключ", "значение", 10**20),
        ("GET", b"\xff\xfe\x00", 0, -1),
        ("X", "x" * 70_000),
    ],
)
def test_pack_command_matches_redis_py(parts: tuple[Any, ...]) -> None:
    assert pack_command(*parts) == b"".join(Connection().pack_command(*parts))


async def test_arguments_reach_lua_byte_for_byte() -> None:
    script = hot(client_name(), "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], #ARGV}")
    try:
        reply = await script([b"k\r\n\x00", "ключ"], ["é😀", 42, b"$3\r\n*1\r\n"])
        assert reply == [b"k\r\n\x00", "ключ".encode(), "é😀".encode(), b"42", b"$3\r\n*1\r\n", 3]
    finally:
        await script.aclose()


# --- batching -------------------------------------------------------------------------------


async def test_concurrent_calls_get_their_own_replies_in_one_batch_on_one_connection(admin: redis.Redis, writes: list[bytes]) -> None:
    name = client_name()
    script = hot(name, PAIR)
    try:
        assert await script(["warm"], ["up"]) == [b"warm", b"up"]
        (connection,) = clients(admin, name)  # redis-py honours client_name in the URL
        writes.clear()

        replies = await asyncio.gather(*(script([f"k{i}"], [f"v{i}"]) for i in range(300)))

        assert replies == [[f"k{i}".encode(), f"v{i}".encode()] for i in range(300)]
        assert script_batches(writes) == [(300, 0)]  # one write, all 300 calls
        assert [client["id"] for client in clients(admin, name)] == [connection["id"]]
    finally:
        await script.aclose()


async def test_calls_made_while_a_batch_is_out_go_together_in_the_next(writes: list[bytes]) -> None:
    script = hot(client_name())
    try:
        await script([], ["warm"])
        writes.clear()
        first = asyncio.create_task(script([], ["first"]))
        await until(lambda: script_batches(writes))  # the first batch is out
        rest = [asyncio.create_task(script([], [str(i)])) for i in range(50)]

        assert await first == b"first"
        assert await asyncio.gather(*rest) == [str(i).encode() for i in range(50)]
        assert script_batches(writes) == [(1, 0), (50, 0)]
    finally:
        await script.aclose()


# --- cancellation ---------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["queued", "in_flight"])
@pytest.mark.parametrize("which", ["some", "all"])
async def test_cancelled_callers_do_not_put_the_connection_out_of_step(
    admin: redis.Redis, writes: list[bytes], stage: str, which: str
) -> None:
    name = client_name()
    script = hot(name, PAIR)
    try:
        await script(["warm"], ["up"])
        (connection,) = clients(admin, name)
        writes.clear()
        tasks = [asyncio.create_task(script([f"k{i}"], [f"v{i}"])) for i in range(60)]
        await asyncio.sleep(0)  # every task has queued its command
        if stage == "queued":
            assert not script_batches(writes)
        else:
            await until(lambda: script_batches(writes))
        # Include the first and the last reply of the batch.
        cancelled = set(range(60)) if which == "all" else {*range(0, 60, 3), 59}
        for i in cancelled:
            tasks[i].cancel()

        results = await asyncio.gather(*tasks, return_exceptions=True)

        for i, result in enumerate(results):
            if i in cancelled:
                assert isinstance(result, asyncio.CancelledError)
            else:
                assert result == [f"k{i}".encode(), f"v{i}".encode()]
        later = await asyncio.gather(*(script([f"later{i}"], [str(i)]) for i in range(20)))
        assert later == [[f"later{i}".encode(), str(i).encode()] for i in range(20)]
        assert [client["id"] for client in clients(admin, name)] == [connection["id"]]
    finally:
        await script.aclose()


# --- error replies --------------------------------------------------------------------------

FAILING = """
if ARGV[1] == 'reply' then return redis.error_reply('refused <' .. ARGV[2] .. '>') end
if ARGV[1] == 'raise' then error('boom <' .. ARGV[2] .. '>') end
return ARGV[2]
"""


async def test_an_error_reply_fails_only_its_caller(admin: redis.Redis, writes: list[bytes]) -> None:
    name = client_name()
    script = hot(name, FAILING)
    modes = ["ok", "reply", "ok", "raise"] * 8
    try:
        await script([], ["ok", "warm"])
        (connection,) = clients(admin, name)
        writes.clear()

        results = await asyncio.gather(*(script([], [mode, str(i)]) for i, mode in enumerate(modes)), return_exceptions=True)

        assert script_batches(writes) == [(len(modes), 0)]  # all in the same batch
        for i, (mode, result) in enumerate(zip(modes, results, strict=True)):
            if mode == "ok":
                assert result == str(i).encode()
            else:
                assert isinstance(result, ResponseError), result
                assert f"{'refused' if mode == 'reply' else 'boom'} <{i}>" in str(result)
        # An error reply is read whole: the connection stays open and in step.
        assert await script([], ["ok", "after"]) == b"after"
        assert [client["id"] for client in clients(admin, name)] == [connection["id"]]
    finally:
        await script.aclose()


async def test_an_error_reply_of_a_connection_error_class_fails_its_batch_then_recovers() -> None:
    """redis-py raises some error replies (LOADING, NOAUTH, "max number of clients") as
    ConnectionError, not ResponseError: that fails the rest of the batch (observed: the callers
    after it get the same error) and closes the connection, but never hands out a wrong reply."""
    script = hot(client_name(), "if ARGV[1] == 'loading' then return redis.error_reply('LOADING fake') end return ARGV[1]")
    try:
        await script([], ["warm"])
        arguments = ["a", "b", "loading", "c", "d"]
        results = await asyncio.gather(*(script([], [a]) for a in arguments), return_exceptions=True)

        assert results[:2] == [b"a", b"b"]
        assert isinstance(results[2], BusyLoadingError)
        for argument, result in zip(arguments[3:], results[3:], strict=True):
            assert result == argument.encode() or isinstance(result, BusyLoadingError)
        assert await asyncio.gather(*(script([], [str(i)]) for i in range(10))) == [str(i).encode() for i in range(10)]
    finally:
        await script.aclose()


# --- NOSCRIPT -------------------------------------------------------------------------------


async def test_a_script_the_server_lacks_falls_back_to_eval_once(admin: redis.Redis, writes: list[bytes]) -> None:
    """A source no server has seen is NOSCRIPT, as after SCRIPT FLUSH or a restart (without
    flushing the scripts of everyone else sharing this Redis)."""
    script = hot(client_name(), f"return ARGV[1] -- {uuid.uuid4()}")
    assert admin.script_exists(script.sha) == [False]
    try:
        replies = await asyncio.gather(*(script([], [str(i)]) for i in range(20)))

        assert replies == [str(i).encode() for i in range(20)]
        assert script_batches(writes) == [(20, 0), (0, 20)]  # every EVALSHA refused, then EVAL
        assert admin.script_exists(script.sha) == [True]  # EVAL loaded it, under the same SHA
        writes.clear()
        assert await script([], ["again"]) == b"again"
        assert script_batches(writes) == [(1, 0)]
    finally:
        await script.aclose()


# --- a failing batch ------------------------------------------------------------------------


async def test_a_killed_connection_fails_at_most_one_batch_then_reconnects(admin: redis.Redis, writes: list[bytes]) -> None:
    name = client_name()
    script = hot(name)
    try:
        await script([], ["warm"])
        (connection,) = clients(admin, name)
        assert admin.client_kill_filter(_id=connection["id"]) == 1
        await wait_for_clients(admin, name, 0)
        writes.clear()

        first = [asyncio.create_task(script([], [f"first{i}"])) for i in range(10)]
        await until(lambda: script_batches(writes))  # out on the dead connection
        second = [asyncio.create_task(script([], [f"second{i}"])) for i in range(10)]
        first_results = await asyncio.wait_for(asyncio.gather(*first, return_exceptions=True), 5)
        second_results = await asyncio.wait_for(asyncio.gather(*second, return_exceptions=True), 5)

        for i, result in enumerate(first_results):
            assert result == f"first{i}".encode() or isinstance(result, RedisConnectionError), result
        assert second_results == [f"second{i}".encode() for i in range(10)]
        assert await script([], ["third"]) == b"third"
        (reconnected,) = clients(admin, name)
        assert reconnected["id"] != connection["id"]
    finally:
        await script.aclose()


@pytest.fixture
async def silent_server() -> Any:
    """A TCP server that accepts and reads, and never answers; counts its connections."""
    writers: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        while await reader.read(65536):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    server.accepted = writers  # type: ignore[attr-defined]
    yield server
    server.close()
    for writer in writers:
        writer.close()
    await server.wait_closed()


async def test_a_silent_server_times_out_each_batch_and_never_hangs(silent_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_scripts, "TIMEOUT_S", 0.3)
    port = silent_server.sockets[0].getsockname()[1]
    script = HotScript(f"redis://127.0.0.1:{port}/0", ECHO)
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        first = asyncio.create_task(script([], ["first"]))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(script([], ["second"]))  # queued behind the first batch

        with pytest.raises(TimeoutError):
            await asyncio.wait_for(first, 5)
        assert 0.25 <= loop.time() - started < 1.5
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(second, 5)
        assert 0.55 <= loop.time() - started < 2.5  # its own batch, after the first failed
        assert len(silent_server.accepted) == 2  # the failed batch's connection was replaced

        started = loop.time()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(script([], ["third"]), 5)
        assert 0.25 <= loop.time() - started < 1.5
        assert len(silent_server.accepted) == 3
    finally:
        await script.aclose()


# --- aclose ---------------------------------------------------------------------------------


async def test_aclose_closes_the_connection_and_a_later_call_reconnects(admin: redis.Redis) -> None:
    name = client_name()
    script = hot(name)
    try:
        await script.aclose()  # nothing to close yet
        assert clients(admin, name) == []
        assert await script([], ["one"]) == b"one"
        (connection,) = clients(admin, name)

        await script.aclose()
        await wait_for_clients(admin, name, 0)
        await script.aclose()  # twice is fine

        assert await script([], ["two"]) == b"two"
        (reconnected,) = clients(admin, name)
        assert reconnected["id"] != connection["id"]
    finally:
        await script.aclose()
    await wait_for_clients(admin, name, 0)


async def test_aclose_lets_the_batch_in_flight_finish(admin: redis.Redis, writes: list[bytes]) -> None:
    name = client_name()
    script = hot(name)
    await script([], ["warm"])
    writes.clear()
    tasks = [asyncio.create_task(script([], [str(i)])) for i in range(20)]
    await until(lambda: script_batches(writes))

    await script.aclose()

    assert all(task.done() for task in tasks)
    assert [task.result() for task in tasks] == [str(i).encode() for i in range(20)]
    await wait_for_clients(admin, name, 0)


async def test_aclose_lets_a_call_falling_back_to_eval_finish(admin: redis.Redis, writes: list[bytes]) -> None:
    name = client_name()
    script = hot(name, f"return ARGV[1] -- {uuid.uuid4()}")  # NOSCRIPT on the first try
    try:
        task = asyncio.create_task(script([], ["x"]))
        await until(lambda: script_batches(writes))

        await script.aclose()

        assert await task == b"x"
        await wait_for_clients(admin, name, 0)
    finally:
        await script.aclose()


# --- event loops ----------------------------------------------------------------------------


def test_one_hotscript_serves_event_loops_one_after_another(admin: redis.Redis) -> None:
    """As in tests, each with its own loop: a finished loop's connection is not reused."""
    name = client_name()
    script = hot(name)

    async def use(argument: str) -> str:
        try:
            assert await script([], [argument]) == argument.encode()
            (connection,) = clients(admin, name)
            return connection["id"]
        finally:
            await script.aclose()

    assert asyncio.run(use("one")) != asyncio.run(use("two"))


def test_one_hotscript_serves_two_event_loops_at_once(admin: redis.Redis) -> None:
    name = client_name()
    script = hot(name)
    both_called, both_counted = threading.Barrier(2, timeout=5), threading.Barrier(2, timeout=5)

    async def use(tag: str) -> tuple[list[Any], int]:
        try:
            replies = await asyncio.gather(*(script([], [f"{tag}{i}"]) for i in range(100)))
            both_called.wait()  # blocks this thread's loop: both connections are open now
            count = len(clients(admin, name))
            both_counted.wait()
            return replies, count
        finally:
            await script.aclose()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda tag: asyncio.run(use(tag)), ["a", "b"]))

    for tag, (replies, count) in zip(["a", "b"], outcomes, strict=True):
        assert replies == [f"{tag}{i}".encode() for i in range(100)]
        assert count == 2  # one connection per loop
