"""The pager over an injected page-fetch function (no HTTP)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from cryptshare_async import InvalidInputError
from cryptshare_async._paging import REPEAT_LIMIT, Pager


def item(n: int) -> dict[str, Any]:
    return {"trackingId": f"T{n}", "n": n}


class FakeServer:
    """Serves ``total`` items numbered from 0 in pages; records the pages asked for.

    ``created`` (request index → count) adds that many new items at the front, newest
    first like the real lists, just before answering that request.
    """

    def __init__(
        self,
        total: int,
        page_size: int,
        *,
        ignore_page: bool = False,
        created: Callable[[int], int] = lambda _: 0,
    ) -> None:
        self.items = [item(i) for i in range(total)]
        self.page_size = page_size
        self.ignore_page = ignore_page
        self.created = created
        self.asked: list[int] = []
        self.newest = 0

    async def fetch(self, page: int) -> Sequence[Any]:
        count = self.created(len(self.asked))
        self.asked.append(page)
        assert len(self.asked) < 1000, "the pager loops"
        for _ in range(count):  # new items are numbered -1, -2, ... and listed first
            self.newest -= 1
            self.items.insert(0, item(self.newest))
        if self.ignore_page:
            page = 1
        start = (page - 1) * self.page_size
        return self.items[start : start + self.page_size]


def numbers(raw: Sequence[Any]) -> tuple[int, ...]:
    return tuple(item["n"] for item in raw)


def pager(server: FakeServer, **kwargs: Any) -> Pager[int]:
    return Pager(server.fetch, numbers, page_size=server.page_size, **kwargs)


async def test_iterates_items_across_page_boundaries_and_stops_on_short_page() -> None:
    server = FakeServer(25, 10)
    assert [n async for n in pager(server)] == list(range(25))
    assert server.asked == [1, 2, 3]


async def test_full_last_page_is_followed_by_one_empty_page() -> None:
    server = FakeServer(20, 10)
    pages = [page async for page in pager(server).pages()]
    assert [(p.number, len(p), p.is_last) for p in pages] == [(1, 10, False), (2, 10, False)]
    assert server.asked == [1, 2, 3]


async def test_empty_listing_yields_nothing_after_one_request() -> None:
    server = FakeServer(0, 10)
    assert [n async for n in pager(server)] == []
    assert [p async for p in pager(server).pages()] == []
    assert server.asked == [1, 1]


async def test_pages_carry_numbers_items_and_last_flag() -> None:
    server = FakeServer(15, 10)
    pages = [page async for page in pager(server).pages()]
    assert [p.number for p in pages] == [1, 2]
    assert list(pages[1]) == list(range(10, 15))
    assert pages[1].is_last and not pages[0].is_last


async def test_start_page_skips_earlier_pages() -> None:
    server = FakeServer(35, 10)
    assert [n async for n in pager(server, start_page=3)] == list(range(20, 35))
    assert server.asked == [3, 4]


async def test_limit_stops_early_and_trims_the_last_page() -> None:
    server = FakeServer(100, 10)
    assert [n async for n in pager(server, limit=23)] == list(range(23))
    assert server.asked == [1, 2, 3]
    pages = [p async for p in pager(server, limit=23).pages()]
    assert [len(p) for p in pages] == [10, 10, 3]
    assert pages[-1].is_last


async def test_limit_on_a_page_boundary_requests_no_further_page() -> None:
    server = FakeServer(100, 10)
    assert len([n async for n in pager(server, limit=20)]) == 20
    assert server.asked == [1, 2]


async def test_limit_zero_requests_nothing() -> None:
    server = FakeServer(100, 10)
    assert await pager(server, limit=0).collect() == []
    assert server.asked == []


async def test_a_server_ignoring_page_stops_after_repeats_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeServer(50, 10, ignore_page=True)
    with caplog.at_level(logging.WARNING, logger="cryptshare_async"):
        items = [n async for n in pager(server)]
    assert items == list(range(10))  # page 1 once; the repeats hold nothing new
    assert server.asked == list(range(1, REPEAT_LIMIT + 2))
    assert f"pages 2 to {REPEAT_LIMIT + 1} all repeat page 1" in caplog.text
    assert "ignore the page parameter" in caplog.text


async def test_without_keys_a_server_ignoring_page_still_stops() -> None:
    server = FakeServer(50, 10, ignore_page=True)
    items = [n async for n in pager(server, key=lambda _: None)]
    assert items == list(range(10)) * REPEAT_LIMIT  # nothing tells the repeats apart
    assert len(server.asked) == REPEAT_LIMIT + 1


def first_rounds(rounds: int, count: int) -> Callable[[int], int]:
    """``count`` items created before each of requests 1 to ``rounds`` (not the first)."""
    return lambda index: count if 1 <= index <= rounds else 0


@pytest.mark.parametrize("created", [1, 3, 9, 10, 11, 20, 25])
@pytest.mark.parametrize("page_size", [1, 10])
async def test_items_created_during_the_listing_are_neither_lost_nor_repeated(
    created: int, page_size: int, caplog: pytest.LogCaptureFixture
) -> None:
    # Up to REPEAT_LIMIT - 1 rounds: even shifts of exactly one page never end it.
    server = FakeServer(37, page_size, created=first_rounds(REPEAT_LIMIT - 1, created))
    with caplog.at_level(logging.WARNING, logger="cryptshare_async"):
        items = [n async for n in pager(server)]
    assert len(items) == len(set(items))
    assert set(range(37)) <= set(items)  # every item that existed at the start
    assert set(items) <= {i["n"] for i in server.items}
    assert caplog.text == ""


async def test_a_full_page_of_seen_items_is_not_the_end() -> None:
    # The old pager stopped at page 2 here (it took the shifted page for a repeat).
    server = FakeServer(17, 5, created=first_rounds(2, 5))
    pages = [p async for p in pager(server).pages()]
    assert [n for p in pages for n in p] == list(range(17))
    assert server.asked == [1, 2, 3, 4, 5, 6]
    assert [p.number for p in pages] == [1, 4, 5, 6]  # pages 2 and 3 held only seen items


async def test_pages_hold_the_items_not_seen_before_and_limit_counts_distinct_items() -> None:
    server = FakeServer(30, 10, created=first_rounds(1, 4))
    pages = [p async for p in pager(server).pages()]
    assert [(p.number, list(p), p.is_last) for p in pages] == [
        (1, list(range(10)), False),
        (2, list(range(10, 16)), False),  # 4 of its 10 items were on page 1
        (3, list(range(16, 26)), False),
        (4, list(range(26, 30)), True),
    ]
    server = FakeServer(30, 10, created=first_rounds(1, 4))
    assert await pager(server, limit=17).collect() == list(range(17))
    assert server.asked == [1, 2, 3]


async def test_duplicates_within_one_page_are_dropped() -> None:
    async def fetch(page: int) -> Sequence[Any]:
        return [item(1), item(2), item(1)] if page == 1 else []

    assert await Pager(fetch, numbers, page_size=3).collect() == [1, 2]


async def test_each_iteration_starts_again_and_nothing_is_fetched_before() -> None:
    server = FakeServer(12, 10)
    listing = pager(server)
    assert server.asked == []
    assert await listing.collect() == list(range(12))
    assert await listing.collect() == list(range(12))
    assert server.asked == [1, 2, 1, 2]


async def test_breaking_out_stops_fetching_and_leaves_no_task() -> None:
    server = FakeServer(100, 10)
    before = asyncio.all_tasks()
    async for n in pager(server):
        if n == 12:
            break
    # asyncio closes an abandoned async generator in a task of its own: let it run.
    for _ in range(10):
        await asyncio.sleep(0)
    assert server.asked in ([1, 2], [1, 2, 3])  # at most one page fetched ahead
    assert asyncio.all_tasks() == before


async def test_the_next_page_is_fetched_while_the_current_one_is_consumed() -> None:
    server = FakeServer(30, 10)
    seen_when_consuming: list[list[int]] = []
    async for _page in pager(server).pages():
        await asyncio.sleep(0)
        seen_when_consuming.append(list(server.asked))
    assert seen_when_consuming == [[1, 2], [1, 2, 3], [1, 2, 3, 4]]


async def test_abandoning_the_iteration_cancels_the_request_ahead() -> None:
    cancelled = asyncio.Event()
    started = asyncio.Event()

    async def fetch(page: int) -> Sequence[Any]:
        if page == 1:
            return [item(i) for i in range(10)]
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("unreachable")

    before = asyncio.all_tasks()
    pages = Pager(fetch, numbers, page_size=10).pages()
    first = await anext(pages)
    assert first.number == 1
    await started.wait()
    await pages.aclose()
    assert cancelled.is_set()
    assert asyncio.all_tasks() == before


async def test_an_error_fetching_a_page_reaches_the_consumer() -> None:
    async def fetch(page: int) -> Sequence[Any]:
        if page == 2:
            raise RuntimeError("page 2 failed")
        return [item(i) for i in range(10)]

    seen: list[int] = []

    async def consume() -> None:
        async for n in Pager(fetch, numbers, page_size=10):
            seen.append(n)

    with pytest.raises(RuntimeError, match="page 2 failed"):
        await consume()
    assert seen == list(range(10))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page_size": 0},
        {"page_size": True},
        {"page_size": 10, "start_page": 0},
        {"page_size": 10, "limit": -1},
        {"page_size": 10, "limit": 1.5},
    ],
)
def test_invalid_arguments_are_rejected(kwargs: dict[str, Any]) -> None:
    server = FakeServer(1, 10)
    with pytest.raises(InvalidInputError):
        Pager(server.fetch, numbers, **kwargs)


class ExceptionContexts:
    """Collects what the loop's exception handler receives, "never retrieved" included."""

    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.contexts.append(context)

    @property
    def messages(self) -> list[str]:
        return [str(c.get("message")) + repr(c.get("exception")) for c in self.contexts]


async def _settle() -> None:
    """Let asyncio close abandoned generators, then drop unreferenced tasks."""
    for _ in range(10):
        await asyncio.sleep(0)
    gc.collect()
    for _ in range(3):
        await asyncio.sleep(0)


async def failing_second_page(page: int) -> Sequence[Any]:
    if page == 2:
        raise RuntimeError("page 2 failed")
    return [item(i) for i in range(10)]


@pytest.mark.parametrize("how", ["break", "aclose", "abandoned", "structure_error"])
async def test_a_failed_prefetch_is_always_retrieved(how: str) -> None:
    loop = asyncio.get_running_loop()
    handler = ExceptionContexts()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(handler)
    try:
        if how == "break":
            async for _n in Pager(failing_second_page, numbers, page_size=10):
                await _settle()  # page 2 fails meanwhile
                break
        elif how == "aclose":
            pages = Pager(failing_second_page, numbers, page_size=10).pages()
            await anext(pages)
            await _settle()
            await pages.aclose()
        elif how == "abandoned":
            # Abandoned without closing: only garbage collection ends the generator.
            iterator = aiter(Pager(failing_second_page, numbers, page_size=10))
            await anext(iterator)
            await _settle()
            del iterator
        else:

            def broken(raw: Sequence[Any]) -> tuple[int, ...]:
                raise ValueError("cannot structure")

            with pytest.raises(ValueError, match="cannot structure"):
                await Pager(failing_second_page, broken, page_size=10).collect()
        await _settle()
    finally:
        loop.set_exception_handler(previous)
    assert handler.messages == []


async def test_a_failed_prefetch_is_raised_when_its_page_is_reached() -> None:
    loop = asyncio.get_running_loop()
    handler = ExceptionContexts()
    loop.set_exception_handler(handler)
    seen: list[int] = []

    async def consume() -> None:
        async for n in Pager(failing_second_page, numbers, page_size=10):
            await _settle()  # page 2 fails while page 1 is consumed
            seen.append(n)

    try:
        with pytest.raises(RuntimeError, match="page 2 failed"):
            await consume()
        await _settle()
    finally:
        loop.set_exception_handler(None)
    assert seen == list(range(10))
    assert handler.messages == []
