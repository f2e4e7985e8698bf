"""When and how long to wait before a request is tried again.

Example::

    policy = RetryPolicy(max_attempts=5, backoff_base=0.2, backoff_max=10)
    client = CryptshareClient(url, client_id=cid, retry=policy)
    CryptshareClient(url, client_id=cid, retry=RetryPolicy.disabled())
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any, Final

from attrs import Attribute, define, field

from . import _public
from ._errors import ConfigurationError

__all__ = ["RetryPolicy"]

MAX_ATTEMPTS: Final = 100


def _attempts(_: object, attribute: Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPTS:
        raise ConfigurationError(
            f"RetryPolicy.{attribute.name} must be an int from 1 (no retry) to {MAX_ATTEMPTS},"
            f" got {value!r}"
        )


def _seconds(_: object, attribute: Attribute[Any], value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigurationError(
            f"RetryPolicy.{attribute.name} must be a finite number of seconds >= 0, got {value!r}"
        )


def _flag(_: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(
            f"RetryPolicy.{attribute.name} must be True or False, got {value!r}"
        )


def _statuses(value: object) -> frozenset[int]:
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        raise ConfigurationError(
            f"RetryPolicy.retry_statuses must be a set of HTTP statuses, got {value!r}"
        )
    statuses = frozenset(value)
    for status in statuses:
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ConfigurationError(
                "RetryPolicy.retry_statuses must hold HTTP error statuses (ints from 400 to"
                f" 599), got {status!r}"
            )
    return statuses


@define(frozen=True, slots=True)
class RetryPolicy:
    """Retry idempotent requests on connection errors and on the listed statuses.

    The delay before attempt ``n + 1`` is drawn uniformly from ``[0, min(backoff_max,
    backoff_base * 2**(n - 1))]`` ("full jitter"), so that many clients failing together
    do not retry in lock step. A server's ``Retry-After`` (when it sends one) is honoured
    up to ``backoff_max``. Non-idempotent requests (creating a session, registering a
    file, finalizing, revoking) are never retried: the server may have acted on them.
    A read timeout is not retried either: the server may still be working on the request,
    and repeating a slow request rarely makes it faster.
    """

    max_attempts: int = field(default=3, validator=_attempts)
    backoff_base: float = field(default=0.25, validator=_seconds)
    backoff_max: float = field(default=8.0, validator=_seconds)
    retry_statuses: frozenset[int] = field(default=frozenset({502, 503, 504}), converter=_statuses)
    retry_on_connection_errors: bool = field(default=True, validator=_flag)

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def delay(
        self,
        attempt: int,
        *,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to sleep after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.backoff_max)
        cap = min(self.backoff_max, self.backoff_base * (2.0 ** (attempt - 1)))
        return cap * rand()

    def should_retry_status(self, status: int) -> bool:
        return status in self.retry_statuses


_public.claim(globals())
