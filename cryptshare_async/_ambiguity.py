"""Requests whose outcome the answer did not tell: resolved by reading, never repeated blindly.

The server may act on a request and the answer then be lost: a dropped connection, a
read timeout, a cut or garbled body, a proxy's 5xx page, or the caller cancelled
after the request went out. Two requests matter, because repeating them is wrong:

* **finalize**: the status under the session's tracking id says whether the transfer
  was made. If so, it is returned (after a cancellation it is recorded on the session
  as ``session.transfer`` and on the raised exception as ``exc.transfer``). If not,
  the error is raised with a note saying that no transfer was made and whether the
  session can still be finalized. One session makes at most one transfer, so nothing
  is ever delivered twice.
* **register a file**: the session's files say whether the file was registered. A file
  of that name, size and checksum is adopted; one of that name that differs is removed;
  then the file is registered again (once).

A create whose answer is lost leaves at most an empty session on the server: it holds
no content, cannot be finalized by anyone without its id, and expires on its own.

Example::

    transfer = await finalize(session)          # what TransferSession.finalize() runs
    file_id = await register(session, "a.pdf", 12, None)
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

from . import _protocol as protocol
from ._converter import unstructure
from ._created import claim_created
from ._errors import (
    ApiVersionUnsupportedError,
    NotFoundError,
    RateLimitedError,
    ResponseParseError,
    RuleViolationError,
    ServerError,
    TransportError,
)
from ._models import FileRegistration
from ._threads import wait_through_cancellation
from ._transfer import Transfer

if TYPE_CHECKING:
    from ._models import SessionFile
    from ._protocol import ApiRequest, ApiResponse
    from ._session import TransferSession

__all__ = ["AMBIGUOUS", "finalize", "register"]

logger = logging.getLogger("cryptshare_async")

#: Failures after which the server may have acted although the caller cannot tell.
AMBIGUOUS: Final = (TransportError, ResponseParseError, ServerError)

#: The outcome could not be learnt (the status read failed as well).
_UNKNOWN: Final = object()


def _ambiguous(exc: BaseException) -> bool:
    return isinstance(exc, AMBIGUOUS) and not isinstance(exc, RateLimitedError)


# ---------------------------------------------------------------- finalize


async def finalize(session: TransferSession) -> Transfer:
    """Finalize ``session``; an answer that does not tell is resolved by the status."""
    sender = session.sender
    request = protocol.finalize_session_request(sender.email, session.tracking_id)
    in_flight = asyncio.ensure_future(session.request(request))
    try:
        response = await asyncio.shield(in_flight)
        protocol.raise_for_status(request, response)
    except asyncio.CancelledError as cancel:
        await _settle_cancelled(session, request, in_flight, cancel)
        raise
    except ApiVersionUnsupportedError:
        raise
    except Exception as exc:
        # A 404 too: an earlier finalize (through another handle) may have made it.
        if not (_ambiguous(exc) or isinstance(exc, NotFoundError)):
            raise
        return await _resolve(session, exc)
    return _claim(session, request, response)


def _claim(session: TransferSession, request: ApiRequest, response: ApiResponse) -> Transfer:
    """The transfer a finalize answer names (an unusable ``Location`` raises)."""
    url = str(session.sender.client.url_for(request))
    found = protocol.read_created_id(request, response, request_url=url)
    session._finished("finalized")
    if found.id is None:
        # Nothing to undo: the transfer exists and its recipients may be notified.
        text = (
            f"{protocol.describe_answer(request, response)} {found.problem}; the session"
            " was finalized, so the transfer exists: find its tracking id with"
            " sender.sent_transfers()"
        )
        logger.warning("%s", text)
        raise ResponseParseError(text)
    return session._made(Transfer(session.sender, found.id))


async def _resolve(session: TransferSession, exc: Exception) -> Transfer:
    """After a finalize that failed without telling: the transfer, or ``exc`` with a note."""
    tracking_id = session.tracking_id
    outcome = await _status(session)
    if isinstance(outcome, Transfer):
        logger.info(
            "finalize of %s failed (%s) but the transfer exists: adopted",
            tracking_id,
            type(exc).__name__,
        )
        return session._made(outcome)
    if outcome is None:
        exc.add_note(await _not_made(session))
    else:
        exc.add_note(_unknown_note(tracking_id))
    raise exc


async def _status(session: TransferSession) -> Transfer | object | None:
    """The transfer under the session's id; ``None`` if there is none; ``_UNKNOWN``."""
    transfer = Transfer(session.sender, session.tracking_id)
    try:
        await transfer.status()
    except ApiVersionUnsupportedError:
        return _UNKNOWN
    except NotFoundError:
        return None
    except Exception:
        return _UNKNOWN
    return transfer


async def _not_made(session: TransferSession) -> str:
    tracking_id = session.tracking_id
    try:
        await session.state()
    except ApiVersionUnsupportedError:
        pass
    except NotFoundError:
        return (
            f"no transfer was made from session {tracking_id}, and the session no longer"
            " exists (deleted or expired): send again with a new session"
        )
    except Exception:
        pass
    else:
        return (
            f"no transfer was made from session {tracking_id} (its status reads 'not"
            " found'); the session still exists and can be finalized again (if the first"
            " request is still being processed, one transfer is made all the same), or"
            " deleted, which makes sure no transfer comes of it"
        )
    return (
        f"no transfer was made from session {tracking_id} (its status reads 'not found');"
        " finalize it again or delete it"
    )


def _unknown_note(tracking_id: str) -> str:
    return (
        f"whether transfer {tracking_id} was made is unknown: reading its status failed"
        f" too; read sender.transfer({tracking_id!r}).status() before sending again (one"
        " session makes at most one transfer)"
    )


async def _settle_cancelled(
    session: TransferSession,
    request: ApiRequest,
    in_flight: asyncio.Future[ApiResponse],
    cancel: asyncio.CancelledError,
) -> None:
    """Cancelled while the finalize may have gone out: learn the outcome within the
    client's clean-up grace period (also through further cancellations) and record it
    on the session and on ``cancel``."""
    grace = session.sender.client.cleanups.grace
    await wait_through_cancellation(in_flight, bound=grace)
    transfer: Transfer | object | None = _UNKNOWN
    if in_flight.done() and not in_flight.cancelled() and in_flight.exception() is None:
        response = in_flight.result()
        if 200 <= response.status < 300:
            try:
                transfer = _claim(session, request, response)
            except ResponseParseError:
                transfer = _UNKNOWN
        else:
            transfer = None if not _ambiguous_status(response) else _UNKNOWN
    else:
        in_flight.cancel()
        await wait_through_cancellation(in_flight)
    if transfer is _UNKNOWN:
        reading = asyncio.ensure_future(_status(session))
        await wait_through_cancellation(reading, bound=grace)
        if reading.done():
            transfer = reading.result()
        else:
            reading.cancel()
            await wait_through_cancellation(reading)
    tracking_id = session.tracking_id
    if isinstance(transfer, Transfer):
        session._made(transfer)
        cancel.transfer = transfer  # type: ignore[attr-defined]
        cancel.add_note(
            f"finalize was cancelled after the request went out, and transfer {tracking_id}"
            " was made: it is in session.transfer and in this exception's .transfer"
        )
    elif transfer is None:
        cancel.add_note(
            f"finalize was cancelled; no transfer had been made from session {tracking_id}"
            " when its status was read. A request already on its way may still be processed:"
            " delete the session to make sure no transfer comes of it, or finalize it again"
        )
    else:
        cancel.add_note(
            "finalize was cancelled after the request may have gone out; "
            + _unknown_note(tracking_id)
        )


def _ambiguous_status(response: ApiResponse) -> bool:
    return response.status >= 500 or response.status == 404


# ---------------------------------------------------------------- register


async def register(
    session: TransferSession, file_name: str, size: int, checksum: str | None
) -> str:
    """Register a file; a lost answer is resolved by reading the session's files."""
    for attempt in (1, 2):
        request = protocol.register_file_request(
            session.sender.email, session.tracking_id, _registration(file_name, size, checksum)
        )
        try:
            response = await session.request(request)
            if response.status >= 500 or response.status == 409:
                protocol.raise_for_status(request, response)
        except Exception as exc:
            if attempt == 2 and isinstance(exc, RuleViolationError):
                # The first request, still on its way when the session was read, got
                # there first: the name is taken by the file asked for (or not).
                adopted = await _registered(session, file_name, size, checksum, exc, remove=False)
                if adopted is not None:
                    return adopted
            if not _ambiguous(exc) or attempt == 2:
                raise
            adopted = await _registered(session, file_name, size, checksum, exc)
            if adopted is not None:
                return adopted
            continue
        return await claim_created(
            session.request,
            request,
            response,
            request_url=str(session.sender.client.url_for(request)),
            undo=lambda file_id: protocol.delete_file_request(
                session.sender.email, session.tracking_id, file_id
            ),
            what="file registration",
            orphan_hint="look for it in state().files and remove it before finalizing,"
            " or delete the session",
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _registration(file_name: str, size: int, checksum: str | None) -> Any:
    return unstructure(FileRegistration(file_name=file_name, size=size, checksum=checksum))


async def _registered(
    session: TransferSession,
    file_name: str,
    size: int,
    checksum: str | None,
    exc: Exception,
    *,
    remove: bool = True,
) -> str | None:
    """The id of the file the lost answer registered, if it is the one asked for; a
    different file of that name is removed (with ``remove``). ``None``: register again.
    Raises ``exc`` (with a note) when the session cannot be read."""
    try:
        state = await session.state()
        found = [f for f in state.files or () if f.file_name == file_name]
        for file in found:
            if file.id is not None and _same(file, size, checksum):
                logger.info(
                    "registering %r in %s failed (%s) but the file was registered: adopted",
                    file_name,
                    session.tracking_id,
                    type(exc).__name__,
                )
                return file.id
        for file in found if remove else ():
            if file.id is not None:
                await session.remove_file(file.id)
    except Exception as reading:
        exc.add_note(
            f"whether file {file_name!r} was registered in session {session.tracking_id} is"
            f" unknown: reading the session failed too ({type(reading).__name__}); look for"
            " it in session.state().files, or delete the session"
        )
        raise exc from exc.__cause__
    return None


def _same(file: SessionFile, size: int, checksum: str | None) -> bool:
    if file.size is not None and file.size != size:
        return False
    if checksum is None or file.checksum is None:
        return True
    return file.checksum.lower() == checksum.lower()
