"""What the client tells the outside world about its requests: log records and event hooks.

Loggers (standard :mod:`logging`, all under ``cryptshare_async``):

- ``cryptshare_async.http``: DEBUG, one record per attempt (method, path template,
  status or error type, elapsed seconds, attempt number);
- ``cryptshare_async.retry``: INFO, one record per retry (reason, delay);
- ``cryptshare_async.cleanup``: WARNING, one record per clean-up that failed (a file or
  session the library tried to remove after an error).

Event hooks receive the same facts as small immutable objects, to feed metrics or
tracing::

    def count(event: ResponseEvent) -> None:
        metrics[event.path, event.status] += 1

    client = CryptshareClient(url, client_id=cid, event_hooks={"response": [count]})

A hook that raises stops the request: its exception propagates unchanged (as with
httpx), the attempt is not retried, and the hooks after it are not called.

Nothing here ever holds a secret: no header, no body, no query string. Paths are
*templates*: ``/api/users/{email}/transfer-sessions/{id}/files``. An email address is
personal data and a recipient's transfer id can be enough to download a transfer
without a password, so neither reaches a log record or an event.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeAlias, TypedDict

from attrs import define

from . import _public
from ._errors import ConfigurationError

__all__ = [
    "CLEANUP_LOGGER",
    "HTTP_LOGGER",
    "RETRY_LOGGER",
    "EventHooks",
    "Events",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "path_template",
]

HTTP_LOGGER: Final = logging.getLogger("cryptshare_async.http")
RETRY_LOGGER: Final = logging.getLogger("cryptshare_async.retry")
CLEANUP_LOGGER: Final = logging.getLogger("cryptshare_async.cleanup")
"""For failed clean-ups: ``CLEANUP_LOGGER.warning("could not remove %s: %s", what, kind)``."""

# Every literal segment of the API's paths; anything else is a value the caller gave.
_WORDS: Final = frozenset(
    {
        "api",
        "clients",
        "status",
        "password",
        "requirements",
        "users",
        "verification",
        "code",
        "email",
        "token",
        "transfer-policy",
        "transfer-sessions",
        "files",
        "content",
        "transfers",
        "sent-transfers",
        "received-transfers",
    }
)


def path_template(url_path: str) -> str:
    """``url_path`` with every value replaced by ``{email}`` or ``{id}``.

    Example::

        >>> path_template("/api/users/alice@example.com/transfer-sessions/T1/files")
        '/api/users/{email}/transfer-sessions/{id}/files'
    """
    path = url_path.split("?", 1)[0]
    parts = []
    for segment in path.split("/"):
        if not segment or segment in _WORDS:
            parts.append(segment)
        elif "@" in segment or "%40" in segment.lower():
            parts.append("{email}")
        else:
            parts.append("{id}")
    return "/".join(parts)


@define(frozen=True, slots=True)
class RequestEvent:
    """An attempt is about to be sent.

    ``path`` is a template (see :func:`path_template`); ``attempt`` counts from 1.
    """

    method: str
    path: str
    attempt: int


@define(frozen=True, slots=True)
class ResponseEvent:
    """An attempt ended: with an answer (``status``) or without (``error``).

    ``elapsed`` is in seconds, from sending to the answer's headers (downloads) or to
    its whole body (other requests). ``error`` is the name of the library error raised
    when there was no answer (``"RequestTimeoutError"``, ``"TransportError"``...).
    """

    method: str
    path: str
    attempt: int
    status: int | None
    elapsed: float
    error: str | None = None


@define(frozen=True, slots=True)
class RetryEvent:
    """Attempt number ``attempt`` failed and the request is sent again after ``delay`` s.

    ``reason`` is ``"HTTP 503"`` for a status, or the error's type name.
    """

    method: str
    path: str
    attempt: int
    delay: float
    reason: str


Event: TypeAlias = RequestEvent | ResponseEvent | RetryEvent


class EventHooks(TypedDict, total=False):
    """Hooks per kind of event: sync or async callables; what they return is ignored.

    Example::

        hooks: EventHooks = {"response": [record_metric], "retry": [alert]}
        client = CryptshareClient(url, client_id=cid, event_hooks=hooks)
    """

    request: Sequence[Callable[[RequestEvent], object]]
    response: Sequence[Callable[[ResponseEvent], object]]
    retry: Sequence[Callable[[RetryEvent], object]]


_KINDS: Final = {"request": RequestEvent, "response": ResponseEvent, "retry": RetryEvent}


class Events:
    """The hooks registered per kind, and the code that logs and calls them.

    A hook that raises stops the request: its exception propagates unchanged (as with
    httpx), the attempt is not retried, and hooks after it are not called.
    """

    __slots__ = ("_hooks",)

    def __init__(self, hooks: EventHooks | Mapping[str, Any] | None = None) -> None:
        self._hooks: dict[type[Event], tuple[Callable[[Any], object], ...]] = {}
        if hooks is None:
            return
        if not isinstance(hooks, Mapping):
            raise ConfigurationError(
                'event_hooks must be a dict such as {"response": [hook]}, got'
                f" {type(hooks).__name__}"
            )
        for kind, callables in hooks.items():
            if kind not in _KINDS:
                raise ConfigurationError(
                    f"event_hooks keys must be among {sorted(_KINDS)}, got {kind!r}"
                )
            if isinstance(callables, str | bytes) or not isinstance(callables, Sequence):
                raise ConfigurationError(
                    f"event_hooks[{kind!r}] must be a list of callables, got"
                    f" {type(callables).__name__}"
                )
            listed = tuple(callables)
            for hook in listed:
                if not callable(hook):
                    raise ConfigurationError(
                        f"event_hooks[{kind!r}] holds {type(hook).__name__}, which is not callable"
                    )
            self._hooks[_KINDS[kind]] = listed

    def __repr__(self) -> str:
        counts = ", ".join(f"{kind.__name__}: {len(h)}" for kind, h in self._hooks.items())
        return f"Events({counts})"

    async def _emit(self, event: Event) -> None:
        for hook in self._hooks.get(type(event), ()):
            result = hook(event)
            if inspect.isawaitable(result):
                await result

    async def request(self, method: str, path: str, attempt: int) -> None:
        if RequestEvent in self._hooks:
            await self._emit(RequestEvent(method, path_template(path), attempt))

    async def response(
        self,
        method: str,
        path: str,
        attempt: int,
        *,
        status: int | None,
        elapsed: float,
        error: BaseException | None = None,
    ) -> None:
        logged = HTTP_LOGGER.isEnabledFor(logging.DEBUG)
        if not logged and ResponseEvent not in self._hooks:
            return  # the common case: nothing to build
        kind = None if error is None else type(error).__name__
        template = path_template(path)
        if logged:
            if status is not None:
                HTTP_LOGGER.debug(
                    "%s %s -> HTTP %d in %.3f s (attempt %d)",
                    method,
                    template,
                    status,
                    elapsed,
                    attempt,
                )
            else:
                HTTP_LOGGER.debug(
                    "%s %s -> %s after %.3f s (attempt %d)",
                    method,
                    template,
                    kind,
                    elapsed,
                    attempt,
                )
        if ResponseEvent in self._hooks:
            await self._emit(ResponseEvent(method, template, attempt, status, elapsed, kind))

    async def retry(
        self, method: str, path: str, attempt: int, *, of: int, delay: float, reason: str
    ) -> None:
        template = path_template(path)
        RETRY_LOGGER.info(
            "retrying %s %s in %.2f s after attempt %d of %d failed: %s",
            method,
            template,
            delay,
            attempt,
            of,
            reason,
        )
        if RetryEvent in self._hooks:
            await self._emit(RetryEvent(method, template, attempt, delay, reason))


_public.claim(globals())
