"""TokenManager.send_with_token: which token each kind of request carries, and what a
refusal (3002) costs. Pure: the "server" is a function answering from a script."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

import pytest

from cryptshare_async import (
    ConfigurationError,
    MemoryTokenStore,
    SessionTokenRejectedError,
    StoredToken,
    TokenKey,
    VerificationError,
)
from cryptshare_async import _endpoints as api
from cryptshare_async import _protocol as protocol
from cryptshare_async._protocol import ApiResponse
from cryptshare_async._verification import TokenManager

KEY = TokenKey.for_sender("https://share.example.com", "C" * 60, "alice@example.com")
OK = ApiResponse(200, {}, b'{"data": {}}')
SESSION = api.GET_SESSION.request(email="alice@example.com", tracking_id="20240522-065711-H8UoUSI6")


def refusal(status: int = 403) -> ApiResponse:
    body = json.dumps({"errorCode": 3002, "errorMessage": "token refused"}).encode()
    return ApiResponse(status, {}, body)


class Server:
    """Answers from a script and records the token of each request."""

    def __init__(self, answers: Sequence[ApiResponse]) -> None:
        self.answers = list(answers)
        self.tokens: list[str | None] = []

    async def send(self, token: str | None) -> ApiResponse:
        self.tokens.append(token)
        return self.answers.pop(0)


class Fetcher:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> StoredToken:
        self.calls += 1
        return StoredToken(token=f"fetched-{self.calls}")


async def manager_with(token: str | None) -> TokenManager:
    manager = TokenManager(MemoryTokenStore(), refresh_margin=timedelta(seconds=60))
    if token is not None:
        await manager.save(KEY, StoredToken(token=token))
    return manager


async def current(manager: TokenManager) -> str | None:
    stored = await manager.store.get(KEY)
    return stored.token if stored else None


@pytest.mark.parametrize(
    ("request_", "stored", "sent"),
    [
        (api.REQUEST_EMAIL_CODE.request(email="alice@example.com"), "t", None),
        (api.VERIFICATION_STATUS.request(email="alice@example.com"), "t", "t"),
        (api.VERIFICATION_STATUS.request(email="alice@example.com"), None, None),
    ],
    ids=["none", "optional", "optional-missing"],
)
async def test_requests_without_a_required_token_never_fetch(
    request_: protocol.ApiRequest, stored: str | None, sent: str | None
) -> None:
    manager, server, fetch = await manager_with(stored), Server([OK]), Fetcher()
    result = await manager.send_with_token(KEY, request_, server.send, fetch)
    assert server.tokens == [sent] and fetch.calls == 0
    assert (result.token.token if result.token else None) == sent


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("store_holds", ["bound", "newer", "nothing"])
async def test_a_bound_token_refused_raises_and_drops_only_itself(
    status: int, store_holds: str
) -> None:
    held = {"bound": "A", "newer": "B", "nothing": None}[store_holds]
    manager, server, fetch = await manager_with(held), Server([refusal(status)]), Fetcher()
    with pytest.raises(SessionTokenRejectedError, match="create a new session") as caught:
        await manager.send_with_token(
            KEY, SESSION, server.send, fetch, bound=StoredToken(token="A")
        )
    assert isinstance(caught.value, VerificationError) and caught.value.status == status
    assert isinstance(caught.value.__cause__, VerificationError)
    assert server.tokens == ["A"] and fetch.calls == 0
    assert await current(manager) == (None if store_holds == "bound" else held)


async def test_a_bound_token_is_sent_even_when_the_store_holds_another() -> None:
    manager, server = await manager_with("B"), Server([OK])
    result = await manager.send_with_token(
        KEY, SESSION, server.send, None, bound=StoredToken(token="A")
    )
    assert server.tokens == ["A"] and result.token == StoredToken(token="A")


async def test_an_unbound_refusal_with_fetch_drops_refetches_and_retries_once() -> None:
    manager, fetch = await manager_with("A"), Fetcher()
    server = Server([refusal(), refusal()])
    result = await manager.send_with_token(KEY, SESSION, server.send, fetch)
    assert server.tokens == ["A", "fetched-1"] and fetch.calls == 1
    assert result.response.status == 403 and result.token == StoredToken(token="fetched-1")
    assert await current(manager) == "fetched-1"


async def test_an_unbound_refusal_without_fetch_keeps_the_token_and_returns_the_answer() -> None:
    manager, server = await manager_with("A"), Server([refusal()])
    result = await manager.send_with_token(KEY, SESSION, server.send, None)
    assert result.response.status == 403 and server.tokens == ["A"]
    assert await current(manager) == "A"


@pytest.mark.parametrize("margin", [timedelta(seconds=-1), 60, None])
def test_the_refresh_margin_is_checked(margin: object) -> None:
    with pytest.raises(ConfigurationError, match="token_refresh_margin"):
        TokenManager(MemoryTokenStore(), refresh_margin=margin)  # type: ignore[arg-type]
