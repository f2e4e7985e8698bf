"""Sessions that clean up after themselves: ``async with sender.open_session(...)``.

The session is created on entry (and the settings applied with one ``update()`` if any
are given). If the block exits by an exception or a cancellation and the session was
not finalized, it is deleted, with its files. The delete runs shielded from further
cancellation and bounded by ``cleanup_timeout``; if it fails, a warning is logged (the
tracking id and the error's type, nothing secret) and a note is added to the exception.
A block that ends normally leaves an unfinalized session open, so that it can be
continued later through ``sender.session(tracking_id)``.

A create whose answer is lost leaves at most an empty session on the server: it holds
no content and expires on its own.

Example::

    async with alice.open_session(to=["bob@example.org"], name="Alice", phone="1") as session:
        await session.upload("report.pdf")
        transfer = await session.finalize()
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Final, Unpack

from . import _public
from ._errors import ApiVersionUnsupportedError, InvalidInputError, NotFoundError
from ._send_plan import SendPlan, make_plan
from ._session import TransferSession
from ._session_settings import SessionSettings

if TYPE_CHECKING:
    from ._sender import Sender

__all__ = ["DEFAULT_CLEANUP_TIMEOUT", "SessionScope", "discard_session", "open_session"]

logger = logging.getLogger("cryptshare_async")

#: Seconds the clean-up delete may take before it is given up (a warning is logged).
DEFAULT_CLEANUP_TIMEOUT: Final = 30.0


class SessionScope:
    """The ``async with`` of :func:`open_session`; yields the :class:`TransferSession`."""

    def __init__(self, sender: Sender, plan: SendPlan, *, cleanup_timeout: float) -> None:
        self._sender = sender
        self._plan = plan
        self._cleanup_timeout = cleanup_timeout
        self._session: TransferSession | None = None

    def __repr__(self) -> str:
        tracking_id = self._session.tracking_id if self._session is not None else None
        return f"SessionScope(sender={self._sender.email!r}, tracking_id={tracking_id!r})"

    @property
    def session(self) -> TransferSession | None:
        """The session, once created."""
        return self._session

    async def __aenter__(self) -> TransferSession:
        if self._session is not None:
            raise InvalidInputError("this open_session() was already entered; make a new one")
        plan = self._plan
        session = await self._sender.create_session(
            to=plan.to, cc=plan.cc, bcc=plan.bcc, name=plan.name, phone=plan.phone
        )
        self._session = session
        if plan.settings:
            try:
                await session.update(**plan.settings)
            except BaseException as exc:
                await self._exit_failed(exc)
                raise
        return session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            await self._exit_failed(exc)

    async def _exit_failed(self, exc: BaseException) -> None:
        session = self._session
        if session is None or is_ended(session):
            return
        cancelled = await discard_session(session, exc, bound=self._cleanup_timeout)
        if cancelled and not isinstance(exc, asyncio.CancelledError):
            raise asyncio.CancelledError  # we were cancelled during the clean-up: honour it


def open_session(
    sender: Sender,
    *,
    to: Iterable[str] = (),
    cc: Iterable[str] = (),
    bcc: Iterable[str] = (),
    name: str,
    phone: str,
    cleanup_timeout: float = DEFAULT_CLEANUP_TIMEOUT,
    **settings: Unpack[SessionSettings],
) -> SessionScope:
    """A session deleted if the ``async with`` block fails before it is finalized.

    ``settings`` are those :meth:`TransferSession.update` takes (but ``name``/``phone``,
    which are the creation's contact). Everything is checked now, before any request.

    Example::

        async with alice.open_session(to=[BOB], name="Alice", phone="1",
                                      password_mode=PasswordMode.GENERATED) as session:
            await session.upload_many(["a.pdf", "b.pdf"])
            transfer = await session.finalize()
    """
    check_timeout(cleanup_timeout, "cleanup_timeout")
    plan = make_plan(None, to=to, cc=cc, bcc=bcc, name=name, phone=phone, settings=settings)
    return SessionScope(sender, plan, cleanup_timeout=cleanup_timeout)


def check_timeout(value: object, what: str) -> None:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidInputError(f"{what} must be a finite number of seconds > 0, got {value!r}")


def is_ended(session: TransferSession) -> bool:
    """Finalized or deleted through this handle (then there is nothing to delete)."""
    return getattr(session, "_ended", None) is not None


async def discard_session(session: TransferSession, exc: BaseException, *, bound: float) -> bool:
    """Delete ``session`` after ``exc``, shielded and bounded by ``bound`` seconds.

    A failure is logged and noted on ``exc``. Returns whether the caller was cancelled
    while waiting (the caller then re-raises the cancellation).
    """
    task = asyncio.ensure_future(session.delete())
    cancelled = await _wait_bounded(task, bound)
    if not task.done():
        task.cancel()
        cancelled = await _wait_bounded(task, bound) or cancelled
    tracking_id = session.tracking_id
    error = None if task.cancelled() or not task.done() else task.exception()
    if task.done() and not task.cancelled() and error is None:
        return cancelled
    if isinstance(error, NotFoundError) and not isinstance(error, ApiVersionUnsupportedError):
        exc.add_note(
            f"transfer session {tracking_id} no longer exists; if the failure came from"
            f" finalize(), the transfer may have been made: read"
            f" sender.transfer({tracking_id!r}).status() before sending again"
        )
        return cancelled
    reason = type(error).__name__ if error is not None else f"no answer within {bound} s"
    logger.warning("could not delete transfer session %s after a failure: %s", tracking_id, reason)
    exc.add_note(
        f"transfer session {tracking_id} could not be deleted ({reason}); it was not"
        f" finalized and expires on its own, or delete it with"
        f" sender.session({tracking_id!r}).delete()"
    )
    return cancelled


async def _wait_bounded(task: asyncio.Future[None], bound: float) -> bool:
    """Wait up to ``bound`` seconds for ``task``, riding out our own cancellation;
    True if we were cancelled meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    cancelled = False
    while not task.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            await asyncio.wait([task], timeout=remaining)
        except asyncio.CancelledError:
            cancelled = True
    return cancelled


_public.claim(globals())
