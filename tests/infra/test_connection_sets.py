"""PerLoop: one value per running event loop, kept no longer than its loop."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from jobspy_web.infra.connection_sets import PerLoop

pytestmark = pytest.mark.timeout(20)  # a waiter that never wakes is a failure, not a hang


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


def test_a_value_with_close_is_closed_in_its_own_loop_as_that_loop_shuts_down() -> None:
    closed: list[tuple[object, asyncio.AbstractEventLoop]] = []

    async def close(value: object) -> None:
        await asyncio.sleep(0)  # it may await: its loop is still running
        closed.append((value, asyncio.get_running_loop()))

    per_loop = PerLoop(Made(), close=close)
    loops: list[asyncio.AbstractEventLoop] = []

    async def use() -> object:
        loops.append(asyncio.get_running_loop())
        value = per_loop.get()
        assert len(closed) == len(loops) - 1  # not while the loop runs
        return value

    first = asyncio.run(use())
    assert closed == [(first, loops[0])]
    with asyncio.Runner() as runner:  # what pytest-asyncio runs each test in
        second = runner.run(use())
        assert len(closed) == 1
    assert closed[1] == (second, loops[1]) and second is not first


async def test_a_value_without_close_is_left_to_its_owner() -> None:
    per_loop = PerLoop(Made())
    value = per_loop.get()
    assert per_loop.pop() is value
