"""The pager over an injected page-fetch function (no HTTP)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import pytest

from cryptshare_async import InvalidInputError
from cryptshare_async._paging import Pager


class FakeServer:
    """Serves ``total`` items numbered from 0 in pages; records the pages asked for."""

    def __init__(self, total: int, page_size: int, *, ignore_page: bool = False) -> None:
        self.items = [{"n": i} for i in range(total)]
        self.page_size = page_size
        self.ignore_page = ignore_page
        self.asked: list[int] = []

    async def fetch(self, page: int) -> Sequence[Any]:
        self.asked.append(page)
        assert len(self.asked) < 1000, "the pager loops"
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


async def test_repeated_page_stops_with_a_warning_instead_of_looping(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeServer(50, 10, ignore_page=True)
    with caplog.at_level(logging.WARNING, logger="cryptshare_async"):
        items = [n async for n in pager(server)]
    assert items == list(range(10))  # page 1 once; the repeat is not yielded
    assert server.asked == [1, 2]
    assert "page 2 repeats page 1" in caplog.text


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
            return [{"n": i} for i in range(10)]
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
        return [{"n": i} for i in range(10)]

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
