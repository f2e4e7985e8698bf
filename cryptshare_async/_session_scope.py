"""Sessions that clean up after themselves: ``async with sender.session(...)``.

The session is created on entry (and the settings applied with one ``update()`` if any
are given). If the block exits by an exception or a cancellation and the session was
not finalized, it is deleted, with its files. The delete runs shielded from further
cancellation and bounded by ``cleanup_timeout``, as one of the client's clean-ups: if it
fails, it is recorded in ``client.cleanup_failures`` and logged by the
``cryptshare_async.cleanup`` logger (the tracking id and the error's type, nothing
secret), and a note is added to the exception. If it works, the note says so.
A block that ends normally leaves an unfinalized session open, so that it can be
continued later through ``sender.resume_session(tracking_id)``.

A create whose answer is lost leaves at most an empty session on the server: it holds
no content and expires on its own.

Example::

    async with alice.session(to=["bob@example.org"], name="Alice", phone="1") as session:
        await session.upload("report.pdf")
        transfer = await session.finalize()
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Final, Unpack

from . import _public
from ._errors import ApiVersionUnsupportedError, InvalidInputError, NotFoundError
from ._send_plan import SendPlan, make_plan
from ._session import TransferSession
from ._session_settings import SessionSettings
from ._threads import wait_through_cancellation

if TYPE_CHECKING:
    from ._sender import Sender

__all__ = ["DEFAULT_CLEANUP_TIMEOUT", "SessionScope", "discard_session", "open_session"]


#: Seconds the clean-up delete may take before it is given up (a warning is logged).
DEFAULT_CLEANUP_TIMEOUT: Final = 30.0


class SessionScope:
    """The ``async with`` of ``sender.session(...)``; yields the :class:`TransferSession`."""

    def __init__(self, sender: Sender, plan: SendPlan, *, cleanup_timeout: float) -> None:
        self._sender = sender
        self._plan = plan
        self._cleanup_timeout = cleanup_timeout
        self._session: TransferSession | None = None
        #: How the clean-up after a failure went: ``"deleted"``, ``"gone"`` (the server
        #: no longer had the session), ``"failed"``; ``None`` if there was none.
        self.cleanup: str | None = None

    def __repr__(self) -> str:
        tracking_id = self._session.tracking_id if self._session is not None else None
        return f"SessionScope(sender={self._sender.email!r}, tracking_id={tracking_id!r})"

    @property
    def session(self) -> TransferSession | None:
        """The session, once created."""
        return self._session

    async def __aenter__(self) -> TransferSession:
        if self._session is not None:
            raise InvalidInputError("this sender.session() was already entered; make a new one")
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
        self.cleanup, cancelled = await discard_session(session, exc, bound=self._cleanup_timeout)
        if self.cleanup == "deleted":
            exc.add_note(
                f"deleted transfer session {session.tracking_id} with its files: nothing was sent"
            )
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

        async with alice.session(to=[BOB], name="Alice", phone="1",
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


class SessionDeletion:
    """Deletes a session when awaited; one the server no longer has (404) counts as
    deleted, and :attr:`gone` then says so. Run it through the client's clean-ups."""

    def __init__(self, session: TransferSession) -> None:
        self._session = session
        self.gone = False

    async def __call__(self) -> None:
        try:
            await self._session.delete()
        except ApiVersionUnsupportedError:
            raise
        except NotFoundError:
            self.gone = True


async def discard_session(
    session: TransferSession, exc: BaseException, *, bound: float
) -> tuple[str, bool]:
    """Delete ``session`` after ``exc`` through the client's clean-ups, shielded and
    bounded by ``bound`` seconds.

    Returns how it went (``"deleted"``, ``"gone"``: the server no longer had it, or
    ``"failed"``) and whether the caller was cancelled while waiting (the caller then
    re-raises the cancellation). A failure is recorded in ``client.cleanup_failures``,
    logged by the ``cryptshare_async.cleanup`` logger (tracking id and error type only)
    and noted on ``exc``.
    """
    delete = SessionDeletion(session)
    cleanups = session.sender._client._cleanups
    task = cleanups.delete_session(session.tracking_id, delete)
    cancelled = await wait_through_cancellation(task, bound=bound)
    if not task.done():
        task.cancel()  # recorded as given up by the clean-ups
        cancelled = await wait_through_cancellation(task, bound=bound) or cancelled
    tracking_id = session.tracking_id
    failure = task.result() if task.done() and not task.cancelled() else None
    if task.done() and not task.cancelled() and failure is None:
        if not delete.gone:
            return "deleted", cancelled
        exc.add_note(
            f"transfer session {tracking_id} no longer exists; if the failure came from"
            f" finalize(), the transfer may have been made: read"
            f" sender.transfer({tracking_id!r}).status() before sending again"
        )
        return "gone", cancelled
    reason = failure.error if failure is not None else f"no answer within {bound} s"
    exc.add_note(
        f"transfer session {tracking_id} could not be deleted ({reason}); it was not"
        f" finalized and expires on its own, or delete it with"
        f" sender.resume_session({tracking_id!r}).delete()"
    )
    return "failed", cancelled


_public.claim(globals())
