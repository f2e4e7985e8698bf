"""When and how long to wait before a request is tried again.

Example::

    policy = RetryPolicy(max_attempts=5, backoff_base=0.2, backoff_max=10)
    client = CryptshareClient(url, client_id=cid, retry=policy)
    CryptshareClient(url, client_id=cid, retry=RetryPolicy.disabled())
"""

from __future__ import annotations

import random
from collections.abc import Callable

from attrs import define, field, validators

__all__ = ["RetryPolicy"]


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

    max_attempts: int = field(default=3, validator=[validators.instance_of(int), validators.ge(1)])
    backoff_base: float = field(default=0.25, validator=validators.ge(0))
    backoff_max: float = field(default=8.0, validator=validators.ge(0))
    retry_statuses: frozenset[int] = field(default=frozenset({502, 503, 504}), converter=frozenset)
    retry_on_connection_errors: bool = True

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
