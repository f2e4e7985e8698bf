"""Between the client and its transport: retries, response bounds, error hygiene.

Whatever transport is plugged in (the aiohttp one, a test double, a user's wrapper),
requests get the same treatment here: idempotent requests are retried per the
:class:`RetryPolicy` (downloads included: the stream is re-opened, never resumed
mid-body), answers are bounded by ``max_response_bytes``, and a failure the transport
did not already express as a library error becomes a :class:`TransportError` that
names only its type and a scrubbed message.

Example::

    pipeline = Pipeline(transport, retry=RetryPolicy(), max_response_bytes=4 * 2**20)
    response = await pipeline.send(request, headers)
    async with pipeline.stream(request, headers) as download:
        async for chunk in download.iter_chunks(): ...
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Final, TypeVar

from attrs import evolve

from ._errors import (
    ApiError,
    CryptshareError,
    MalformedResponseError,
    RequestTimeoutError,
    ResponseTooLargeError,
    SourceNotReplayableError,
    TransportError,
)
from ._events import Events
from ._protocol import ApiRequest, ApiResponse, error_for_response
from ._retry import RetryPolicy
from ._scrub import describe, secrets_in, secrets_in_json
from ._transport_api import StreamBody, StreamedResponse, Transport

__all__ = ["Pipeline"]

E = TypeVar("E", bound=CryptshareError)

ERROR_BODY_LIMIT: Final = 64 * 1024
"""How much of a streamed error answer is read to type the error."""


def _retryable_failure(exc: CryptshareError) -> bool:
    # A read timeout may mean the server is still working on it; a malformed answer will
    # be malformed again. Everything else without an answer is worth another try.
    return isinstance(exc, TransportError) and not isinstance(
        exc, RequestTimeoutError | MalformedResponseError
    )


def _after(error: E, attempts: int) -> E:
    """``error``, saying how many attempts were made when there were several."""
    if attempts > 1 and error.attempts == 1:
        error.attempts = attempts
        if error.args and isinstance(error.args[0], str):
            error.args = (f"{error.args[0]} (after {attempts} attempts)", *error.args[1:])
    return error


def _foreign(exc: Exception, request: ApiRequest, headers: Mapping[str, str]) -> TransportError:
    return TransportError(
        f"{request.method} {request.url_path} failed in the transport:"
        f" {describe(exc, secrets_in(headers))}",
        method=request.method,
        path=request.url_path,
    )


def _with_secrets(
    request: ApiRequest, headers: Mapping[str, str], response: ApiResponse
) -> ApiResponse:
    """``response`` knowing the secrets its request carried, so that nothing the server
    echoes of them is ever quoted in an error."""
    secrets = secrets_in(headers) | secrets_in_json(request.json)
    return evolve(response, secrets=response.secrets | secrets)


class _WatchedBody:
    """Passes a body through, remembering an exception the body itself raised.

    A transport may report the body's failure (an integrity check, a progress callback)
    as its own; the pipeline raises the body's exception instead, and never retries it.
    """

    def __init__(self, body: StreamBody) -> None:
        self._body = body
        self.error: Exception | None = None

    @property
    def size(self) -> int:
        return self._body.size

    def open(self) -> AsyncIterator[bytes]:
        try:
            iterator = self._body.open()
        except Exception as exc:
            self.error = exc
            raise
        return self._watch(iterator)

    async def _watch(self, iterator: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        try:
            while True:
                try:
                    chunk = await anext(iterator)
                except StopAsyncIteration:
                    return
                except Exception as exc:
                    self.error = exc
                    raise
                yield chunk
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()


class Pipeline:
    """Sends through ``transport`` with retries and bounds; see the module docstring."""

    def __init__(
        self,
        transport: Transport,
        *,
        retry: RetryPolicy,
        max_response_bytes: int,
        events: Events | None = None,
    ) -> None:
        self._transport = transport
        self._retry = retry
        self._limit = max_response_bytes
        self._events = events if events is not None else Events()
        self.closed = False

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def retry(self) -> RetryPolicy:
        return self._retry

    def _check_open(self) -> None:
        if self.closed:
            raise CryptshareError("this client is closed; create a new CryptshareClient")

    async def send(
        self,
        request: ApiRequest,
        headers: Mapping[str, str],
        *,
        body: StreamBody | None = None,
    ) -> ApiResponse:
        """Send ``request``, retrying per the policy; error statuses are returned.

        A retryable status still failing after the last of several attempts raises its
        typed error, which says how many attempts were made.
        """
        self._check_open()
        policy = self._retry
        events = self._events
        method, path = request.method, request.url_path
        attempt = 0
        previous: CryptshareError | None = None
        while True:
            attempt += 1
            await events.request(method, path, attempt)
            started = time.perf_counter()
            failure: CryptshareError | None = None
            response: ApiResponse | None = None
            try:
                response = await self._send_once(request, headers, body)
            except CryptshareError as exc:
                failure = exc
            elapsed = time.perf_counter() - started
            if failure is not None:
                await events.response(
                    method, path, attempt, status=None, elapsed=elapsed, error=failure
                )
                if isinstance(failure, SourceNotReplayableError) and previous is not None:
                    raise _after(
                        SourceNotReplayableError(
                            f"{failure} The attempt before failed with: {previous}"
                        ),
                        attempt,
                    ) from previous
                if (
                    request.idempotent
                    and policy.retry_on_connection_errors
                    and attempt < policy.max_attempts
                    and _retryable_failure(failure)
                ):
                    previous = failure
                    await self._pause(request, attempt, policy.delay(attempt), failure)
                    continue
                raise _after(failure, attempt)
            assert response is not None
            await events.response(method, path, attempt, status=response.status, elapsed=elapsed)
            if request.idempotent and policy.should_retry_status(response.status):
                error = error_for_response(request, response)
                if attempt < policy.max_attempts:
                    previous = error
                    delay = policy.delay(attempt, retry_after=error.retry_after)
                    await self._pause(request, attempt, delay, error)
                    continue
                if attempt > 1 and response.status not in request.expected:
                    raise _after(error, attempt)
            return response

    async def _pause(
        self, request: ApiRequest, attempt: int, delay: float, reason: CryptshareError
    ) -> None:
        """Report the retry, then wait ``delay`` seconds before the next attempt."""
        await self._events.retry(
            request.method,
            request.url_path,
            attempt,
            of=self._retry.max_attempts,
            delay=delay,
            reason=f"HTTP {reason.status}"
            if isinstance(reason, ApiError)
            else type(reason).__name__,
        )
        await asyncio.sleep(delay)

    async def _send_once(
        self, request: ApiRequest, headers: Mapping[str, str], body: StreamBody | None
    ) -> ApiResponse:
        watched = _WatchedBody(body) if body is not None else None
        failure: CryptshareError | None = None
        response: ApiResponse | None = None
        try:
            response = await self._transport.send(request, headers, body=watched)
        except Exception as exc:
            if watched is not None and watched.error is not None:
                if watched.error is exc:
                    raise
            elif isinstance(exc, CryptshareError):
                raise
            else:
                failure = _foreign(exc, request, headers)
        # Outside the except block, so neither error gets the transport's as context.
        if watched is not None and watched.error is not None:
            raise watched.error
        if failure is not None:
            raise failure
        assert response is not None
        return self._bounded(request, _with_secrets(request, headers, response))

    def _bounded(self, request: ApiRequest, response: ApiResponse) -> ApiResponse:
        if len(response.body) <= self._limit:
            return response
        if 200 <= response.status < 300:
            raise ResponseTooLargeError(
                f"{request.method} {request.url_path} answered HTTP {response.status} with a"
                f" body larger than max_response_bytes ({self._limit} bytes); raise the limit"
                " if the answer is legitimate",
                limit=self._limit,
            )
        return evolve(response, body=response.body[: self._limit])

    @asynccontextmanager
    async def stream(
        self, request: ApiRequest, headers: Mapping[str, str]
    ) -> AsyncIterator[StreamedResponse]:
        """Open a download; a non-2xx status raises its typed error.

        Opening is retried like :meth:`send` (connection failures, 502/503/504) for an
        idempotent request; once the body has started, a failure is raised, not retried.
        """
        self._check_open()
        policy = self._retry
        events = self._events
        method, path = request.method, request.url_path
        attempt = 0
        while True:
            attempt += 1
            await events.request(method, path, attempt)
            started = time.perf_counter()
            exits = AsyncExitStack()
            failure: CryptshareError | None = None
            response: StreamedResponse | None = None
            try:
                response = await exits.enter_async_context(self._transport.stream(request, headers))
            except CryptshareError as exc:
                failure = exc
            except Exception as exc:
                failure = _foreign(exc, request, headers)
            elapsed = time.perf_counter() - started
            if failure is not None:
                await events.response(
                    method, path, attempt, status=None, elapsed=elapsed, error=failure
                )
                if (
                    request.idempotent
                    and policy.retry_on_connection_errors
                    and attempt < policy.max_attempts
                    and _retryable_failure(failure)
                ):
                    await self._pause(request, attempt, policy.delay(attempt), failure)
                    continue
                raise _after(failure, attempt)
            assert response is not None
            async with AsyncExitStack() as guard:
                # A hook that raises must not leave the download open.
                guard.push_async_exit(exits)
                await events.response(
                    method, path, attempt, status=response.status, elapsed=elapsed
                )
                guard.pop_all()
            if 200 <= response.status < 300:
                break
            async with exits:
                error = await self._stream_error(request, response, headers)
            if (
                request.idempotent
                and policy.should_retry_status(response.status)
                and attempt < policy.max_attempts
            ):
                delay = policy.delay(attempt, retry_after=error.retry_after)
                await self._pause(request, attempt, delay, error)
                continue
            raise _after(error, attempt)
        async with exits:
            yield self._mapped(request, response, headers)

    async def _stream_error(
        self, request: ApiRequest, response: StreamedResponse, headers: Mapping[str, str]
    ) -> ApiError:
        """The typed error of a non-2xx stream, from (at most) the first 64 KiB of its body."""
        parts: list[bytes] = []
        total = 0
        try:
            while total < ERROR_BODY_LIMIT:
                chunk = await response.read(ERROR_BODY_LIMIT - total)
                if not chunk:
                    break
                parts.append(chunk)
                total += len(chunk)
        except CryptshareError:
            pass  # the status alone still types the error
        except Exception:
            pass
        answer = ApiResponse(status=response.status, headers=response.headers, body=b"".join(parts))
        return error_for_response(request, _with_secrets(request, headers, answer))

    @staticmethod
    def _mapped(
        request: ApiRequest, response: StreamedResponse, headers: Mapping[str, str]
    ) -> StreamedResponse:
        async def read(size: int) -> bytes:
            failure: TransportError | None = None
            try:
                return await response.read(size)
            except CryptshareError:
                raise
            except Exception as exc:
                failure = _foreign(exc, request, headers)
            assert failure is not None
            raise failure

        return StreamedResponse(response.status, response.headers, read)
