"""Claiming what a ``201`` answer created, and deleting it when the answer is unusable.

When the server answers "created" but its ``Location`` (or body) does not name the new
resource usably, the resource exists on the server anyway. If another part of the
answer names it safely it is deleted at once; otherwise the error says that the server
may hold an orphan that it removes when it expires, and the same is logged.

Example::

    tracking_id = await claim_created(
        sender.request, request, response, request_url=url,
        undo=lambda tid: protocol.delete_session_request(email, tid),
        what="transfer session", orphan_hint="it expires with the server's session timeout",
    )
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from . import _protocol as protocol
from ._errors import CryptshareError, ResponseParseError
from ._protocol import ApiRequest, ApiResponse

__all__ = ["claim_created"]

logger = logging.getLogger("cryptshare_async")


async def claim_created(
    send: Callable[[ApiRequest], Awaitable[ApiResponse]],
    request: ApiRequest,
    response: ApiResponse,
    *,
    request_url: str,
    undo: Callable[[str], ApiRequest],
    what: str,
    orphan_hint: str,
) -> str:
    """The new resource's id; or delete the resource (if it can be named) and raise
    :class:`ResponseParseError`. Error statuses raise their typed :class:`ApiError`."""
    found = protocol.read_created_id(request, response, request_url=request_url)
    if found.id is not None:
        return found.id
    head = f"{protocol.describe_answer(request, response)} {found.problem}"
    if found.recovered is not None:
        failure = await _delete(send, undo(found.recovered))
        if failure is None:
            raise ResponseParseError(f"{head}; the {what} it created was deleted")
        text = (
            f"{head}; deleting the {what} it created failed ({failure}), so the server"
            f" holds an orphan {what}: {orphan_hint}"
        )
    else:
        text = f"{head}; the server may hold an orphan {what}: {orphan_hint}"
    logger.warning("%s", text)
    raise ResponseParseError(text)


async def _delete(
    send: Callable[[ApiRequest], Awaitable[ApiResponse]], request: ApiRequest
) -> str | None:
    """Send ``request``; ``None`` if it worked, else the error's class name."""
    try:
        protocol.raise_for_status(request, await send(request))
    except CryptshareError as exc:
        return type(exc).__name__
    return None
