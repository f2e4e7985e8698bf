"""Page-number pagination as async iterators over items, or over whole pages.

The listing endpoints take ``page`` (1-based) and ``page-size`` and say nothing about a
total or a next link, so a page shorter than the page size, or an empty one, is the end.
Every page is requested with the same filters: the request for page *n* is built by one
function from the same arguments as page 1.

Page-number paging is not a snapshot: when transfers are created or change state while
you iterate, items shift between pages, so an item can be skipped or seen twice. Use
the items' ``tracking_id`` to de-duplicate when that matters.

A page identical to the one before it (a server that ignores ``page``, or data that
shifted by exactly one page) would loop forever. The pager stops instead, without
yielding the repeated page, and logs a warning on the ``cryptshare_async`` logger.

While a page is consumed, the next one is already being fetched (one request ahead,
never past a short page or the ``limit``), so turning JSON into typed items overlaps
with the server's work. Leaving an ``async for`` early lets asyncio close the iteration
(and cancel that request) shortly after; iterate inside ``contextlib.aclosing()`` to
have it done at once.

Example::

    async for item in alice.sent_transfers(active=True):
        print(item.tracking_id)
    async for page in alice.sent_transfers(page_size=50).pages():
        print(page.number, len(page))
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import aclosing, suppress
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from attrs import define

from . import _protocol as protocol
from ._converter import structure_list
from ._errors import InvalidInputError, ResponseParseError
from ._fields import FieldsLike, render_fields
from ._models import TransferListItem, TransferSummary
from ._protocol import ApiRequest

if TYPE_CHECKING:
    from ._sender import Sender

__all__ = ["FetchPage", "Page", "Pager", "legacy_pager", "polling_pager"]

T = TypeVar("T")

logger = logging.getLogger("cryptshare_async")

#: Fetch the raw JSON items of one page, given its number.
FetchPage = Callable[[int], Awaitable[Sequence[Any]]]


@define(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing: its 1-based ``number`` and its typed ``items``.

    ``is_last`` is true when the page is known to be the last: shorter than the page
    size, or the ``limit`` was reached. (A full last page is followed by an empty one,
    which ends the iteration without being yielded.)
    """

    number: int
    items: tuple[T, ...]
    is_last: bool

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)


class Pager(Generic[T]):
    """An async iterable over the items of a listing; :meth:`pages` gives whole pages.

    Each ``async for`` starts again from ``start_page``; nothing is requested until
    iteration begins. While you consume a page, the next one is already being fetched
    (one request ahead, never past a short page or the ``limit``); closing or
    abandoning the iteration cancels that request.

    Args:
        fetch: returns the raw JSON items of a page number.
        structure: turns a page's raw items into typed items.
        page_size: the page size the requests use (a shorter page is the last).
        start_page: the first page requested (1-based).
        limit: stop after this many items (``None``: no limit).
    """

    def __init__(
        self,
        fetch: FetchPage,
        structure: Callable[[Sequence[Any]], tuple[T, ...]],
        *,
        page_size: int,
        start_page: int = 1,
        limit: int | None = None,
        description: str = "listing",
    ) -> None:
        for name, value, low in (("page_size", page_size, 1), ("start_page", start_page, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InvalidInputError(f"{name} must be an int >= {low}, got {value!r}")
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 0
        ):
            raise InvalidInputError(f"limit must be None or an int >= 0, got {limit!r}")
        self._fetch = fetch
        self._structure = structure
        self._page_size = page_size
        self._start_page = start_page
        self._limit = limit
        self._description = description

    def __repr__(self) -> str:
        return (
            f"Pager({self._description}, page_size={self._page_size},"
            f" start_page={self._start_page}, limit={self._limit})"
        )

    @property
    def page_size(self) -> int:
        return self._page_size

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate_items()

    async def _iterate_items(self) -> AsyncGenerator[T, None]:
        async with aclosing(self._pages()) as pages:
            async for page in pages:
                for item in page.items:
                    yield item

    def pages(self) -> AsyncGenerator[Page[T], None]:
        """Iterate page by page (the last page is trimmed to ``limit``)."""
        return self._pages()

    async def _pages(self) -> AsyncGenerator[Page[T], None]:
        remaining = self._limit
        if remaining == 0:
            return
        number = self._start_page
        previous: Sequence[Any] | None = None
        ahead: asyncio.Task[Sequence[Any]] | None = self._start(number)
        try:
            while ahead is not None:
                raw = await ahead
                ahead = None
                if not raw:
                    return
                if previous is not None and raw == previous:
                    logger.warning(
                        "%s: page %d repeats page %d; stopping instead of looping"
                        " (the server may ignore the page parameter)",
                        self._description,
                        number,
                        number - 1,
                    )
                    return
                is_last = len(raw) < self._page_size
                if remaining is not None:
                    if len(raw) >= remaining:
                        raw, is_last = raw[:remaining], True
                    remaining -= len(raw)
                if not is_last:
                    # Fetch the next page while this one is structured and consumed.
                    ahead = self._start(number + 1)
                    await asyncio.sleep(0)  # let it send the request before we structure
                yield Page(number=number, items=self._structure(raw), is_last=is_last)
                previous = raw
                number += 1
        finally:
            if ahead is not None and not ahead.done():
                ahead.cancel()
                with suppress(asyncio.CancelledError):
                    await ahead

    def _start(self, number: int) -> asyncio.Task[Sequence[Any]]:
        return asyncio.ensure_future(self._fetch(number))

    async def collect(self) -> list[T]:
        """All items in a list (mind ``limit`` on large listings).

        Example::

            recent = await alice.sent_transfers(limit=20).collect()
        """
        return [item async for item in self]


# ---------------------------------------------------------------- the sender's listings


def _json_list(data: Any, what: str) -> Sequence[Any]:
    if not isinstance(data, list):
        raise ResponseParseError(f"{what} answered {type(data).__name__} where a list belongs")
    return data


def polling_pager(
    sender: Sender,
    direction: str,
    *,
    active: bool | None,
    page_size: int,
    fields: FieldsLike | None,
    start_page: int,
    limit: int | None,
) -> Pager[TransferListItem]:
    """The pager of ``sent-transfers`` or ``received-transfers`` (API 1.12).

    Every argument is checked here, before anything is sent.
    """
    if active is not None and not isinstance(active, bool):
        raise InvalidInputError(f"active must be True, False or None, got {active!r}")
    rendered = render_fields(fields) if fields is not None else None
    email = sender.email

    def request_for(page: int) -> ApiRequest:
        return protocol.polling_request(
            email, direction, page=page, page_size=page_size, active=active, fields=rendered
        )

    return _request_pager(
        sender,
        request_for,
        _structure_items,
        page_size=page_size,
        start_page=start_page,
        limit=limit,
        description=f"{direction}-transfers of {email}",
    )


def legacy_pager(
    sender: Sender, *, page_size: int, start_page: int, limit: int | None
) -> Pager[TransferSummary]:
    """The pager of the deprecated ``GET /users/{email}/transfers`` list."""
    email = sender.email

    def request_for(page: int) -> ApiRequest:
        return protocol.legacy_transfers_request(email, page=page, page_size=page_size)

    return _request_pager(
        sender,
        request_for,
        _structure_summaries,
        page_size=page_size,
        start_page=start_page,
        limit=limit,
        description=f"legacy transfer list of {email}",
    )


def _request_pager(
    sender: Sender,
    request_for: Callable[[int], ApiRequest],
    structure_page: Callable[[Sequence[Any]], tuple[T, ...]],
    *,
    page_size: int,
    start_page: int,
    limit: int | None,
    description: str,
) -> Pager[T]:
    first = request_for(start_page)  # validates page, page size and the rest now

    async def fetch(page: int) -> Sequence[Any]:
        request = first if page == start_page else request_for(page)
        data = protocol.json_data(request, await sender.send(request))
        return _json_list(data, f"{request.method} {request.url_path}")

    return Pager(
        fetch,
        structure_page,
        page_size=page_size,
        start_page=start_page,
        limit=limit,
        description=description,
    )


def _structure_items(raw: Sequence[Any]) -> tuple[TransferListItem, ...]:
    return structure_list(raw, TransferListItem)


def _structure_summaries(raw: Sequence[Any]) -> tuple[TransferSummary, ...]:
    return structure_list(raw, TransferSummary)
