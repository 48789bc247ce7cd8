"""ConnectionSet (a limit, reuse newest first, slots freed on failure) and PerLoop."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from jobspy_web.infra.connection_sets import ConnectionSet, PerLoop

pytestmark = pytest.mark.timeout(20)  # a waiter that never wakes is a failure, not a hang


class Connections:
    """make/close callbacks that record what they did; `gate` holds make() until set."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.closed: list[str] = []
        self.failures = 0  # make() raises this many times first
        self.gate = asyncio.Event()
        self.gate.set()

    async def make(self) -> str:
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise OSError("refused")
        self.made.append(f"c{len(self.made)}")
        return self.made[-1]

    async def close(self, connection: str) -> None:
        self.closed.append(connection)

    def set(self, limit: int) -> ConnectionSet[str]:
        return ConnectionSet(self.make, self.close, limit=limit)


async def still_waiting(task: asyncio.Task[str]) -> bool:
    for _ in range(20):  # plenty of turns for a released slot to wake it
        await asyncio.sleep(0)
    return not task.done()


async def test_connections_are_made_on_demand_and_reused_newest_first() -> None:
    connections = Connections()
    pool = connections.set(limit=5)
    a, b, c = [await pool.take() for _ in range(3)]
    assert (a, b, c) == ("c0", "c1", "c2")

    pool.give_back(a)
    pool.give_back(c)
    assert await pool.take() == c  # the newest idle one
    assert await pool.take() == a
    assert await pool.take() == "c3"  # none idle: a new one
    assert connections.made == ["c0", "c1", "c2", "c3"]


async def test_a_take_beyond_the_limit_waits_for_a_give_back_and_gets_that_connection() -> None:
    connections = Connections()
    pool = connections.set(limit=2)
    await pool.take()
    second = await pool.take()
    waiter = asyncio.create_task(pool.take())
    assert await still_waiting(waiter)

    pool.give_back(second)

    assert await asyncio.wait_for(waiter, 1) == second
    assert connections.made == ["c0", "c1"]  # never more than the limit


async def test_drop_frees_a_slot_without_reusing_the_connection() -> None:
    connections = Connections()
    pool = connections.set(limit=1)
    dropped = await pool.take()
    waiter = asyncio.create_task(pool.take())
    assert await still_waiting(waiter)

    pool.drop()

    assert await asyncio.wait_for(waiter, 1) == "c1"
    assert dropped == "c0"
    assert connections.closed == []  # closing a dropped connection is the caller's job


async def test_a_failing_make_releases_its_slot() -> None:
    connections = Connections()
    connections.failures = 3
    pool = connections.set(limit=1)
    for _ in range(3):
        with pytest.raises(OSError, match="refused"):
            await asyncio.wait_for(pool.take(), 1)

    assert await asyncio.wait_for(pool.take(), 1) == "c0"


async def test_a_take_cancelled_while_making_releases_its_slot() -> None:
    connections = Connections()
    connections.gate.clear()
    pool = connections.set(limit=1)
    making = asyncio.create_task(pool.take())
    assert await still_waiting(making)  # inside make(), holding the only slot
    making.cancel()
    with pytest.raises(asyncio.CancelledError):
        await making

    connections.gate.set()
    assert await asyncio.wait_for(pool.take(), 1) == "c0"


async def test_a_cancelled_waiter_takes_no_slot() -> None:
    connections = Connections()
    pool = connections.set(limit=1)
    taken = await pool.take()
    waiter = asyncio.create_task(pool.take())
    assert await still_waiting(waiter)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter

    pool.give_back(taken)
    assert await asyncio.wait_for(pool.take(), 1) == taken


async def test_aclose_closes_the_idle_connections_only() -> None:
    connections = Connections()
    pool = connections.set(limit=3)
    a, b, c = [await pool.take() for _ in range(3)]
    pool.give_back(a)
    pool.give_back(b)

    await pool.aclose()

    assert sorted(connections.closed) == [a, b]  # c is still out
    assert await pool.take() == "c3"  # the closed ones are not handed out again
    pool.give_back(c)
    await pool.aclose()
    assert sorted(connections.closed) == [a, b, c]
    await pool.aclose()  # nothing left: nothing closed twice
    assert sorted(connections.closed) == [a, b, c]


# --- PerLoop --------------------------------------------------------------------------------


class Made:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> object:
        self.count += 1
        return object()


async def test_per_loop_gives_every_task_of_a_loop_the_same_value() -> None:
    make = Made()
    per_loop = PerLoop(make)

    async def get() -> object:
        await asyncio.sleep(0)
        return per_loop.get()

    values = await asyncio.gather(*(get() for _ in range(10)))

    assert all(value is values[0] for value in values)
    assert make.count == 1


def test_per_loop_gives_each_loop_its_own_value() -> None:
    make = Made()
    per_loop = PerLoop(make)

    async def get_twice() -> object:
        value = per_loop.get()
        assert per_loop.get() is value
        return value

    loop = asyncio.new_event_loop()  # kept alive, so the two loops can't share an address
    try:
        first = loop.run_until_complete(get_twice())
        second = asyncio.run(get_twice())
        assert loop.run_until_complete(get_twice()) is first  # back on the first loop
    finally:
        loop.close()

    assert first is not second
    assert make.count == 2


async def test_per_loop_pop_forgets_the_value() -> None:
    make = Made()
    per_loop = PerLoop(make)
    assert per_loop.pop() is None  # none made yet
    first = per_loop.get()

    assert per_loop.pop() is first
    assert per_loop.pop() is None
    second = per_loop.get()
    assert second is not first
    assert make.count == 2


def test_per_loop_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        PerLoop(Made()).get()


def test_per_loop_does_not_keep_a_finished_loop_alive() -> None:
    """Loops are held weakly: a finished one (and its entry) can go. Only as long as the
    value doesn't itself refer to its loop (a connected socket does)."""
    per_loop = PerLoop(Made())
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def use() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        per_loop.get()

    asyncio.run(use())
    gc.collect()

    assert loops[0]() is None
