"""Page-number pagination as async iterators over items, or over whole pages.

The listing endpoints take ``page`` (1-based) and ``page-size`` and say nothing about a
total or a next link, so a page shorter than the page size, or an empty one, is the end.
Every page is requested with the same filters: the request for page *n* is built by one
function from the same arguments as page 1.

Page-number paging is not a snapshot: the lists are newest first, so transfers created
while you iterate push older ones onto later pages, and a page can repeat items an
earlier page gave. The pager de-duplicates by tracking id (asking for ``trackingId``
even when your ``fields`` leave it out, and removing it again from the items), and a
page of items already seen is not the end: the listing holds every transfer that
existed when it started, each once. (Transfers that leave a filtered listing while you
iterate, such as ones that stop being ``active``, pull later ones onto earlier pages;
no page-number listing can promise those.)

A server that ignores ``page`` would send the same page forever. When the same page
(the same items in the same order) comes back :data:`REPEAT_LIMIT` times in a row, the
pager stops and logs a warning on the ``cryptshare_async`` logger. (Creation that shifts
the list by exactly one page between every two requests looks the same; a few such
shifts in a row are tolerated.)

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
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterator,
    Sequence,
)
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from attrs import define

from . import _endpoints as api
from . import _protocol as protocol
from . import _public
from ._converter import structure_list
from ._errors import InvalidInputError, ResponseParseError
from ._fields import FieldsLike, render_fields_with
from ._models import TransferListItem, TransferSummary
from ._protocol import ApiRequest

if TYPE_CHECKING:
    from ._sender import Sender

__all__ = [
    "REPEAT_LIMIT",
    "FetchPage",
    "ItemKey",
    "Page",
    "Pager",
    "legacy_pager",
    "polling_pager",
    "tracking_id_of",
]

T = TypeVar("T")

logger = logging.getLogger("cryptshare_async")

#: Fetch the raw JSON items of one page, given its number.
FetchPage = Callable[[int], Awaitable[Sequence[Any]]]
#: The identity of a raw JSON item, for de-duplication (``None``: never a duplicate).
ItemKey = Callable[[Any], Hashable | None]

#: How many times in a row the same page may come back before the pager takes the server
#: for one that ignores ``page`` and stops. More than once, because transfers created
#: while a listing runs can shift the items by exactly one page between two requests.
REPEAT_LIMIT: Final = 8

#: Items turned into typed models per event-loop step: a page of 100 items takes about
#: 17 ms to structure, too long for one step (other tasks would wait); 20 take 3-4 ms.
STRUCTURE_SLICE: Final = 20


def tracking_id_of(raw: Any) -> Hashable | None:
    """The ``trackingId`` of a raw list item, the pager's default identity."""
    value = raw.get("trackingId") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


@define(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing: its 1-based ``number`` and its typed ``items``.

    ``items`` are the items of page ``number`` as the server sent it, in its order, less
    those an earlier page of the same iteration already gave (items shift onto later
    pages when transfers are created during the listing). So a page can hold fewer
    items than the page size without being the last, and a page whose items were all
    seen before is not yielded at all.

    ``is_last`` is true when the page is known to be the last: the server sent fewer
    items than the page size, or the ``limit`` was reached. (A full last page is
    followed by an empty one, which ends the iteration without being yielded.)
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
    iteration begins. Every item is given once per iteration (by ``key``). While you
    consume a page, the next one is already being fetched (one request ahead, never
    past a short page or the ``limit``); closing or abandoning the iteration cancels
    that request, and its error, if it failed, is raised only when its page is reached.

    Args:
        fetch: returns the raw JSON items of a page number.
        structure: turns a page's raw items into typed items.
        page_size: the page size the requests use (a shorter page is the last).
        start_page: the first page requested (1-based).
        limit: stop after this many distinct items (``None``: no limit).
        key: the identity of a raw item (default: its ``trackingId``); an item whose
            key was seen before is left out, ``None`` is never a duplicate.
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
        key: ItemKey = tracking_id_of,
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
        self._key = key

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
        """Iterate page by page: each :class:`Page` holds the items no earlier page gave
        (the last page is trimmed to ``limit``)."""
        return self._pages()

    async def _pages(self) -> AsyncGenerator[Page[T], None]:
        remaining = self._limit
        if remaining == 0:
            return
        seen: set[Hashable] = set()
        number = self._start_page
        previous: Sequence[Any] | None = None
        repeats = 0
        ahead: asyncio.Task[Sequence[Any]] | None = None
        try:
            ahead = self._start(number)
            while ahead is not None:
                raw = await ahead
                ahead = None
                if not raw:
                    return
                repeats = repeats + 1 if self._same_page(raw, previous) else 0
                if repeats >= REPEAT_LIMIT:
                    logger.warning(
                        "%s: pages %d to %d all repeat page %d (the same items in the same"
                        " order); stopping instead of looping: the server seems to ignore"
                        " the page parameter",
                        self._description,
                        number - repeats + 1,
                        number,
                        number - repeats,
                    )
                    return
                previous = raw
                is_last = len(raw) < self._page_size
                fresh = self._unseen(raw, seen)
                if remaining is not None:
                    if len(fresh) >= remaining:
                        fresh, is_last = fresh[:remaining], True
                    remaining -= len(fresh)
                if not is_last:
                    # Fetch the next page while this one is structured and consumed.
                    ahead = self._start(number + 1)
                    await asyncio.sleep(0)  # let it send the request before we structure
                if fresh:
                    items = await self._structured(fresh)
                    yield Page(number=number, items=items, is_last=is_last)
                number += 1
        finally:
            if ahead is not None and not ahead.done():
                ahead.cancel()
                # wait() neither raises the task's error nor swallows our own cancellation.
                await asyncio.wait((ahead,))

    async def _structured(self, raw: Sequence[Any]) -> tuple[T, ...]:
        """``raw`` as typed items, :data:`STRUCTURE_SLICE` at a time, letting other tasks
        run between two slices."""
        items: list[T] = []
        for start in range(0, len(raw), STRUCTURE_SLICE):
            if start:
                await asyncio.sleep(0)
            items.extend(self._structure(raw[start : start + STRUCTURE_SLICE]))
        return tuple(items)

    def _unseen(self, raw: Sequence[Any], seen: set[Hashable]) -> list[Any]:
        """The items of ``raw`` whose key is not in ``seen`` (which they join)."""
        fresh = []
        for item in raw:
            identity = self._key(item)
            if identity is not None:
                if identity in seen:
                    continue
                seen.add(identity)
            fresh.append(item)
        return fresh

    def _same_page(self, raw: Sequence[Any], previous: Sequence[Any] | None) -> bool:
        """Whether ``raw`` holds the items of ``previous`` in the same order: by key
        where every item has one (their other values may change between requests)."""
        if previous is None or len(raw) != len(previous):
            return False
        keys = [self._key(item) for item in raw]
        if None in keys:
            return raw == previous
        return keys == [self._key(item) for item in previous]

    def _start(self, number: int) -> asyncio.Task[Sequence[Any]]:
        task = asyncio.ensure_future(self._fetch(number))
        # Whatever happens to the iteration, the task's error counts as retrieved: it is
        # raised again when its page is awaited, and dropped if nobody gets that far.
        task.add_done_callback(_retrieve)
        return task

    async def collect(self) -> list[T]:
        """All items in a list (mind ``limit`` on large listings).

        Example::

            recent = await alice.sent_transfers(limit=20).collect()
        """
        return [item async for item in self]


# ---------------------------------------------------------------- the sender's listings


def _retrieve(task: asyncio.Task[Sequence[Any]]) -> None:
    if not task.cancelled():
        task.exception()


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
    endpoints = {"sent": api.SENT_TRANSFERS, "received": api.RECEIVED_TRANSFERS}
    if direction not in endpoints:
        raise InvalidInputError(f"direction must be 'sent' or 'received', got {direction!r}")
    endpoint = endpoints[direction]
    if active is not None and not isinstance(active, bool):
        raise InvalidInputError(f"active must be True, False or None, got {active!r}")
    rendered, added = (
        render_fields_with(fields, "trackingId") if fields is not None else (None, False)
    )
    email = sender.email

    def request_for(page: int) -> ApiRequest:
        query = {**paging_query(page, page_size), "active": active, "fields": rendered}
        return endpoint.request(email=email, query=query)

    return _request_pager(
        sender,
        request_for,
        _structure_without_tracking_id if added else _structure_items,
        page_size=page_size,
        start_page=start_page,
        limit=limit,
        description=f"{direction}-transfers of {email}",
    )


MAX_PAGE_SIZE: Final = 100


def paging_query(page: int, page_size: int) -> dict[str, str | int | bool | None]:
    """The ``page`` and ``page-size`` parameters, checked (page >= 1, size 1-100)."""
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        raise InvalidInputError(f"page must be an int >= 1, got {page!r}")
    if (
        not isinstance(page_size, int)
        or isinstance(page_size, bool)
        or not 1 <= page_size <= MAX_PAGE_SIZE
    ):
        raise InvalidInputError(
            f"page_size must be an int from 1 to {MAX_PAGE_SIZE}, got {page_size!r}"
        )
    return {"page": page, "page-size": page_size}


def legacy_pager(
    sender: Sender, *, page_size: int, start_page: int, limit: int | None
) -> Pager[TransferSummary]:
    """The pager of the deprecated ``GET /users/{email}/transfers`` list."""
    email = sender.email

    def request_for(page: int) -> ApiRequest:
        return api.LEGACY_TRANSFERS.request(email=email, query=paging_query(page, page_size))

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
    structure_page: Callable[[Sequence[Any], frozenset[str]], tuple[T, ...]],
    *,
    page_size: int,
    start_page: int,
    limit: int | None,
    description: str,
) -> Pager[T]:
    first = request_for(start_page)  # validates page, page size and the rest now
    # The secrets the requests carried: a parse error of a page is scrubbed of them.
    secrets: set[str] = set()

    async def fetch(page: int) -> Sequence[Any]:
        request = first if page == start_page else request_for(page)
        response = await sender.request(request)
        secrets.update(response.secrets)
        data = protocol.json_data(request, response)
        return _json_list(data, f"{request.method} {request.url_path}")

    def structure(raw: Sequence[Any]) -> tuple[T, ...]:
        return structure_page(raw, frozenset(secrets))

    return Pager(
        fetch,
        structure,
        page_size=page_size,
        start_page=start_page,
        limit=limit,
        description=description,
    )


def _structure_items(raw: Sequence[Any], secrets: frozenset[str]) -> tuple[TransferListItem, ...]:
    return structure_list(raw, TransferListItem, secrets=secrets)


def _structure_without_tracking_id(
    raw: Sequence[Any], secrets: frozenset[str]
) -> tuple[TransferListItem, ...]:
    """The items as the caller's ``fields`` asked, without the tracking id added for
    de-duplication."""
    return structure_list(
        [
            {k: v for k, v in item.items() if k != "trackingId"} if isinstance(item, dict) else item
            for item in raw
        ],
        TransferListItem,
        secrets=secrets,
    )


def _structure_summaries(
    raw: Sequence[Any], secrets: frozenset[str]
) -> tuple[TransferSummary, ...]:
    return structure_list(raw, TransferSummary, secrets=secrets)


_public.claim(globals())
