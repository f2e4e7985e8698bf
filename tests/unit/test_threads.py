"""The thread-worker kit: stop flag, bounded hand-off, progress relay, shielded join."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from cryptshare_async._threads import Lane, Producer, Stopped, wait_through_cancellation


def _threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


# ------------------------------------------------------------------ Lane


async def test_lane_consumes_in_order_from_the_loop() -> None:
    seen: list[int] = []
    lane: Lane[int] = Lane(seen.append, depth=2, name="t-lane")
    for i in range(100):
        await lane.aput(i)
    await lane.adrain()
    assert seen == list(range(100))
    await lane.aclose()
    assert _threads("t-lane") == []


async def test_lane_bounds_the_items_outstanding() -> None:
    gate = threading.Event()
    consumed: list[int] = []

    def consume(item: int) -> None:
        gate.wait(5)
        consumed.append(item)

    lane: Lane[int] = Lane(consume, depth=2, name="t-lane")
    await lane.aput(1)
    await lane.aput(2)
    third = asyncio.create_task(lane.aput(3))
    await asyncio.sleep(0.05)
    assert not third.done()  # two outstanding: the third waits, the loop does not block
    gate.set()
    await third
    await lane.adrain()
    assert consumed == [1, 2, 3]
    await lane.aclose()


async def test_lane_hands_the_consumers_error_to_every_later_call() -> None:
    def consume(item: int) -> None:
        if item == 2:
            raise ValueError("bad item")

    lane: Lane[int] = Lane(consume, depth=1, name="t-lane")
    await lane.aput(1)
    await lane.aput(2)
    with pytest.raises(ValueError, match="bad item"):
        await lane.adrain()
    with pytest.raises(ValueError, match="bad item"):
        await lane.aput(3)
    await lane.aclose()
    assert _threads("t-lane") == []


async def test_lane_closed_refuses_items_and_discards_the_waiting_ones() -> None:
    gate = threading.Event()
    consumed: list[int] = []

    def consume(item: int) -> None:
        gate.wait(5)
        consumed.append(item)

    lane: Lane[int] = Lane(consume, depth=3, name="t-lane")
    for i in range(3):
        await lane.aput(i)
    closing = asyncio.create_task(lane.aclose())  # discards what has not started yet
    await asyncio.sleep(0.02)
    gate.set()
    await closing
    assert consumed in ([], [0])
    with pytest.raises(Stopped):
        lane.put(9)


async def test_lane_aclose_waits_for_the_thread_even_when_cancelled() -> None:
    started, release = threading.Event(), threading.Event()

    def consume(_item: int) -> None:
        started.set()
        release.wait(5)

    lane: Lane[int] = Lane(consume, depth=1, name="t-lane")
    await lane.aput(1)
    await asyncio.to_thread(started.wait, 5)
    closing = asyncio.create_task(lane.aclose())
    await asyncio.sleep(0.02)
    closing.cancel()
    await asyncio.sleep(0.02)
    assert not closing.done()  # still joining the thread, cancellation or not
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert _threads("t-lane") == []


def test_lane_from_threads_with_a_with_block() -> None:
    seen: list[bytes] = []
    with Lane(seen.append, depth=1, name="t-lane") as lane:
        for block in (b"a", b"b", b"c"):
            lane.put(block)
        lane.drain()
        assert seen == [b"a", b"b", b"c"]
    assert _threads("t-lane") == []


# ------------------------------------------------------------------ Producer


async def test_producer_bounds_how_far_it_runs_ahead() -> None:
    made: list[int] = []

    def produce() -> Iterator[int]:
        for i in range(1000):
            made.append(i)
            yield i

    producer: Producer[int] = Producer(produce, depth=2, name="t-producer")
    assert await producer.get() == 0
    await asyncio.sleep(0.05)
    assert len(made) <= 3  # one taken, at most `depth` waiting
    assert [await producer.get() for _ in range(5)] == [1, 2, 3, 4, 5]
    await producer.aclose()
    assert len(made) <= 8
    assert _threads("t-producer") == []


async def test_producer_ends_and_propagates_errors() -> None:
    def produce() -> Iterator[int]:
        yield 1
        raise OSError(5, "I/O error")

    producer: Producer[int] = Producer(produce, depth=2, name="t-producer")
    assert await producer.get() == 1
    with pytest.raises(OSError, match="I/O error"):
        await producer.get()
    await producer.aclose()

    finite: Producer[int] = Producer(lambda: iter([7]), depth=1, name="t-producer")
    assert await finite.get() == 7
    for _ in range(2):  # the end stays the end
        with pytest.raises(StopAsyncIteration):
            await finite.get()
    await finite.aclose()
    assert _threads("t-producer") == []


async def test_producer_aclose_stops_the_thread_between_items() -> None:
    closed = threading.Event()

    def produce() -> Iterator[int]:
        try:
            while True:
                yield 0
        finally:
            closed.set()  # the generator is closed in its thread

    producer: Producer[int] = Producer(produce, depth=1, name="t-producer")
    await producer.get()
    await producer.aclose()
    assert closed.is_set()
    assert _threads("t-producer") == []


async def test_a_producer_closed_unstarted_starts_no_thread() -> None:
    producer: Producer[int] = Producer(lambda: iter([1]), depth=1, name="t-producer")
    await producer.aclose()
    assert _threads("t-producer") == []


# ------------------------------------------------------------------ waiting


async def test_wait_through_cancellation_absorbs_cancellations_then_reports_them() -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()
    results: list[bool] = []

    async def waiter() -> None:
        results.append(await wait_through_cancellation(future))

    task = asyncio.create_task(waiter())
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.sleep(0.01)
    assert not task.done()
    future.set_result("done")
    await task
    assert results == [True]
    assert await wait_through_cancellation(future) is False


async def test_wait_through_cancellation_gives_up_after_its_bound() -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()
    task = asyncio.create_task(wait_through_cancellation(future, bound=0.2))
    await asyncio.sleep(0.01)
    task.cancel()
    async with asyncio.timeout(5):
        assert await task is True  # returned within the bound, reporting the cancellation
    assert not future.done()  # the future itself is left alone
    future.cancel()


# ------------------------------------------------------------------ run_in_thread


async def test_run_in_thread_propagates_the_works_exception_and_joins() -> None:
    from cryptshare_async._threads import run_in_thread

    boom = KeyError("boom")

    def work(stop: threading.Event, advance: Callable[[int], None]) -> str:
        advance(1)
        raise boom

    with pytest.raises(KeyError) as info:
        await run_in_thread(work, name="t-work")
    assert info.value is boom
    for _ in range(100):  # the thread has handed over its outcome and is only returning
        if not _threads("t-work"):
            break
        await asyncio.sleep(0.01)
    assert _threads("t-work") == []


async def test_run_in_thread_cancelled_returns_only_after_the_work_stopped() -> None:
    from cryptshare_async._threads import run_in_thread

    started, finished = threading.Event(), threading.Event()

    def work(stop: threading.Event, advance: Callable[[int], None]) -> None:
        started.set()
        stop.wait(5)
        time.sleep(0.05)  # a step still running when the stop flag is seen
        finished.set()

    task = asyncio.create_task(run_in_thread(work, name="t-work"))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished.is_set()
    assert _threads("t-work") == []
