"""Event hooks, retry and request logging, and the attempt count of final errors."""

from __future__ import annotations

import doctest
import logging
import pickle
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest

from cryptshare_async import (
    ApiRequest,
    ApiResponse,
    ConfigurationError,
    CryptshareClient,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    RetryPolicy,
    ServerError,
    StreamedResponse,
    TransportError,
    _events,
)
from cryptshare_async._events import path_template
from cryptshare_async.testing import MockTransport, json_response
from tests.transport.rawpeer import CID

FAST = RetryPolicy(max_attempts=3, backoff_base=0, backoff_max=0)
PASSWORD = {"data": {"password": "s3cret-Pa55"}}
UNAVAILABLE = json_response({"errorCode": 5000, "errorMessage": "busy"}, status=503)


def answers(*items: ApiResponse | Exception) -> Callable[[ApiRequest, Mapping[str, str]], Any]:
    """A handler giving ``items`` in turn (an exception is raised), then the last forever."""
    queue: Iterator[ApiResponse | Exception] = iter(items)
    last: list[ApiResponse | Exception] = []

    def handler(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        item = next(queue, None)
        if item is None:
            item = last[0]
        last[:] = [item]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def client_with(mock: MockTransport, **kwargs: Any) -> CryptshareClient:
    kwargs.setdefault("retry", FAST)
    return CryptshareClient("https://x.y", client_id=CID, transport=mock, **kwargs)


def recorder() -> tuple[list[Any], dict[str, list[Any]]]:
    seen: list[Any] = []

    async def async_hook(event: Any) -> None:
        seen.append(event)

    return seen, {"request": [seen.append], "response": [async_hook], "retry": [seen.append]}


async def test_hooks_see_each_attempt_in_order() -> None:
    seen, hooks = recorder()
    client = client_with(
        MockTransport(answers(UNAVAILABLE, json_response(PASSWORD))), event_hooks=hooks
    )
    assert await client.generate_password() == "s3cret-Pa55"
    path = "/api/password"
    assert seen == [
        RequestEvent("GET", path, 1),
        ResponseEvent("GET", path, 1, 503, seen[1].elapsed),
        RetryEvent("GET", path, 1, 0.0, "HTTP 503"),
        RequestEvent("GET", path, 2),
        ResponseEvent("GET", path, 2, 200, seen[4].elapsed),
    ]
    assert all(event.elapsed >= 0 for event in seen if isinstance(event, ResponseEvent))


async def test_a_failed_attempt_is_an_event_without_status() -> None:
    seen, hooks = recorder()
    mock = MockTransport(answers(TransportError("reset"), json_response(PASSWORD)))
    await client_with(mock, event_hooks=hooks).generate_password()
    assert [type(e).__name__ for e in seen] == [
        "RequestEvent",
        "ResponseEvent",
        "RetryEvent",
        "RequestEvent",
        "ResponseEvent",
    ]
    assert (seen[1].status, seen[1].error) == (None, "TransportError")
    assert seen[2].reason == "TransportError"


async def test_downloads_report_events_too() -> None:
    seen, hooks = recorder()
    ok = ApiResponse(status=200, headers={}, body=b"abc")
    client = client_with(MockTransport(answers(UNAVAILABLE, ok)), event_hooks=hooks)
    async with client.stream(ApiRequest("GET", "/transfers/T1/files/F1")) as download:
        assert await download.read(10) == b"abc"
    path = "/api/transfers/{id}/files/{id}"
    assert [(type(e).__name__, e.path, e.attempt) for e in seen] == [
        ("RequestEvent", path, 1),
        ("ResponseEvent", path, 1),
        ("RetryEvent", path, 1),
        ("RequestEvent", path, 2),
        ("ResponseEvent", path, 2),
    ]


class HookFailed(Exception):
    pass


def failing(event: Any) -> None:
    raise HookFailed(type(event).__name__)


@pytest.mark.parametrize("kind", ["request", "response", "retry"])
async def test_a_raising_hook_stops_the_request_unchanged(kind: str) -> None:
    mock = MockTransport(answers(UNAVAILABLE, json_response(PASSWORD)))
    client = client_with(mock, event_hooks={kind: [failing]})
    with pytest.raises(HookFailed) as caught:
        await client.generate_password()
    assert caught.value.__context__ is None
    assert len(mock.calls) == (0 if kind == "request" else 1)


async def test_a_raising_response_hook_closes_the_download() -> None:
    class Tracking(MockTransport):
        exits = 0

        @asynccontextmanager
        async def stream(
            self, request: ApiRequest, headers: Mapping[str, str]
        ) -> AsyncIterator[StreamedResponse]:
            try:
                async with super().stream(request, headers) as response:
                    yield response
            finally:
                self.exits += 1

    mock = Tracking(answers(ApiResponse(status=200, headers={}, body=b"abc")))
    client = client_with(mock, event_hooks={"response": [failing]})
    entered = False
    with pytest.raises(HookFailed):
        async with client.stream(ApiRequest("GET", "/transfers/T1/files/F1")):
            entered = True
    assert (entered, mock.exits) == (False, 1)


@pytest.mark.parametrize(
    ("hooks", "match"),
    [
        ([failing], "dict"),
        ({"responses": [failing]}, "keys"),
        ({"response": failing}, "list of callables"),
        ({"response": "hook"}, "list of callables"),
        ({"retry": [failing, 42]}, "not callable"),
    ],
)
def test_bad_event_hooks_are_refused(hooks: Any, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        client_with(MockTransport(answers(json_response(PASSWORD))), event_hooks=hooks)


async def test_a_final_error_says_how_many_attempts() -> None:
    client = client_with(MockTransport(answers(UNAVAILABLE)))
    with pytest.raises(ServerError) as caught:
        await client.generate_password()
    error = caught.value
    assert error.attempts == 3
    assert str(error).endswith("(after 3 attempts)")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.attempts, str(copy)) == (3, str(error))


async def test_a_final_transport_error_says_how_many_attempts() -> None:
    client = client_with(MockTransport(answers(TransportError("reset"))))
    with pytest.raises(TransportError, match=r"reset \(after 3 attempts\)$") as caught:
        await client.generate_password()
    assert caught.value.attempts == 3


async def test_a_download_error_says_how_many_attempts() -> None:
    client = client_with(MockTransport(answers(UNAVAILABLE)))
    with pytest.raises(ServerError, match=r"\(after 3 attempts\)$") as caught:
        async with client.stream(ApiRequest("GET", "/transfers/T1/files/F1")):
            pass
    assert caught.value.attempts == 3


@pytest.mark.parametrize(
    ("request_", "retry"),
    [
        (ApiRequest("GET", "/password"), RetryPolicy.disabled()),
        (ApiRequest("POST", "/password"), FAST),  # not idempotent: never retried
    ],
)
async def test_a_single_attempt_is_not_mentioned(request_: ApiRequest, retry: RetryPolicy) -> None:
    mock = MockTransport(answers(UNAVAILABLE))
    response = await client_with(mock, retry=retry).request(request_)
    assert response.status == 503 and len(mock.calls) == 1
    with pytest.raises(TransportError) as caught:
        await client_with(MockTransport(answers(TransportError("reset"))), retry=retry).request(
            request_
        )
    assert caught.value.attempts == 1
    assert "attempts" not in str(caught.value)


async def test_retries_are_logged_at_info_and_attempts_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="cryptshare_async")
    client = client_with(
        MockTransport(answers(UNAVAILABLE, TransportError("x"), json_response(PASSWORD)))
    )
    await client.generate_password()
    http = [r for r in caplog.records if r.name == "cryptshare_async.http"]
    retry = [r for r in caplog.records if r.name == "cryptshare_async.retry"]
    assert [r.levelno for r in http] == [logging.DEBUG] * 3
    assert "GET /api/password -> HTTP 503" in http[0].getMessage()
    assert "GET /api/password -> TransportError" in http[1].getMessage()
    assert "(attempt 3)" in http[2].getMessage()
    assert [r.levelno for r in retry] == [logging.INFO] * 2
    assert "after attempt 1 of 3 failed: HTTP 503" in retry[0].getMessage()
    assert "after attempt 2 of 3 failed: TransportError" in retry[1].getMessage()


async def test_nothing_is_logged_below_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cryptshare_async")
    await client_with(MockTransport(answers(json_response(PASSWORD)))).generate_password()
    assert caplog.records == []


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/api/password/requirements", "/api/password/requirements"),
        (
            "/api/users/alice@example.com/verification/token",
            "/api/users/{email}/verification/token",
        ),
        (
            "/api/users/a%2Bb%40x.org/transfers/sent-transfers",
            "/api/users/{email}/transfers/sent-transfers",
        ),
        ("/api/users/a@x.org/transfers/T-2024-1", "/api/users/{email}/transfers/{id}"),
        (
            "/api/users/a@x.org/transfer-sessions/T1/files/F%2F1/content",
            "/api/users/{email}/transfer-sessions/{id}/files/{id}/content",
        ),
        ("/api/transfers/x7Hk2pQr9a/files?password=s", "/api/transfers/{id}/files"),
    ],
)
def test_path_templates_keep_only_the_apis_words(path: str, template: str) -> None:
    assert path_template(path) == template


def test_documentation_examples_run() -> None:
    result = doctest.testmod(_events)
    assert result.attempted > 0
    assert result.failed == 0
