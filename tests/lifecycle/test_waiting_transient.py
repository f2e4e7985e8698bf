"""The wait rides out transient failures of a status read until its deadline: connection
errors, read timeouts, 5xx, 429 and unparsable bodies. Other errors end it at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from cryptshare_async import (
    ApiError,
    CryptshareClient,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ResponseParseError,
    ServerError,
    TransferState,
    TransportError,
    WaitTimeoutError,
)
from cryptshare_async._models import SessionState, StatusDetails, TransferStatus
from cryptshare_async._sender import Sender
from cryptshare_async._waiting import poll_until_active
from cryptshare_async.testing import Emulator, FaultRule
from cryptshare_async.testing._faults import LOSE_ANSWER_MODES

from .conftest import ALICE, make_transfer

ACTIVE = TransferStatus(transfer=SessionState(), status=StatusDetails(state=TransferState.ACTIVE))


def api(cls: type[ApiError], status: int) -> ApiError:
    return cls(status=status, error_code=None, error_message="", method="GET", path="/x")


FAILURES: dict[str, Exception] = {
    "connection": TransportError("connection reset"),
    "read timeout": RequestTimeoutError("read timed out"),
    "5xx": api(ServerError, 503),
    "429": api(RateLimitedError, 429),
    "unparsable": ResponseParseError("not JSON"),
    "malformed": MalformedResponseError("bad HTTP"),
}


class Script:
    """Raises or returns each scripted item in turn; a fake clock moves on sleeps."""

    def __init__(self, items: Sequence[object]) -> None:
        self.items = list(items)
        self.reads = 0
        self.now = 0.0

    async def read(self) -> TransferStatus:
        item = self.items[min(self.reads, len(self.items) - 1)]
        self.reads += 1
        assert self.reads < 1000
        if isinstance(item, Exception):
            raise item
        assert isinstance(item, TransferStatus)
        return item

    async def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def run(self, **kwargs: Any) -> TransferStatus:
        kwargs.setdefault("timeout", 100.0)
        return await poll_until_active(
            self.read, what="transfer T", clock=lambda: self.now, sleep=self.sleep, **kwargs
        )


@pytest.mark.parametrize("kind", sorted(FAILURES))
async def test_a_transient_failure_is_ridden_out(kind: str) -> None:
    script = Script([FAILURES[kind], FAILURES[kind], ACTIVE])
    assert await script.run() is ACTIVE
    assert script.reads == 3


@pytest.mark.parametrize("kind", sorted(FAILURES))
async def test_failures_until_the_deadline_end_in_a_timeout_naming_the_last(kind: str) -> None:
    script = Script([FAILURES[kind]])
    with pytest.raises(WaitTimeoutError) as caught:
        await script.run(timeout=10.0)
    assert type(caught.value.__cause__) is type(FAILURES[kind])
    assert type(FAILURES[kind]).__name__ in " ".join(caught.value.__notes__)
    assert caught.value.last_status is None
    assert script.now == pytest.approx(10.0)


async def test_without_a_deadline_failures_never_end_the_wait() -> None:
    script = Script([api(ServerError, 500)] * 50 + [ACTIVE])
    assert await script.run(timeout=None) is ACTIVE
    assert script.reads == 51


@pytest.mark.parametrize("error", [api(NotFoundError, 404), ValueError("a bug"), KeyError("x")])
async def test_other_errors_end_the_wait_at_once(error: Exception) -> None:
    script = Script([error, ACTIVE])
    with pytest.raises(type(error)):
        await script.run()
    assert script.reads == 1


async def finalized(alice: Sender) -> str:
    return (await make_transfer(alice, {"a.txt": b"x"})).tracking_id


STATUS = f"/api/users/{ALICE}/transfers/*"


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule(method="GET", path=STATUS, status=500, times=4),
        FaultRule(method="GET", path=STATUS, status=429, retry_after=0, times=4),
        *(FaultRule(method="GET", path=STATUS, lose_answer=m, times=4) for m in LOSE_ANSWER_MODES),
    ],
    ids=["500", "429", *LOSE_ANSWER_MODES],
)
async def test_the_wait_rides_out_faults_of_the_emulator(
    emu: Emulator, alice: Sender, rule: FaultRule
) -> None:
    tracking_id = await finalized(alice)
    emu.add_fault(rule)
    async with asyncio.timeout(20):
        status = await alice.transfer(tracking_id).wait_until_active(
            timeout=15, interval=0.05, max_interval=0.1
        )
    assert status.state is TransferState.ACTIVE
    assert len(emu.fired_faults) == 4


async def test_the_emulator_failing_to_the_end_gives_a_timeout(emu: Emulator) -> None:
    async with CryptshareClient(emu.url, client_id=emu.client_id) as client:
        alice = client.sender(ALICE)
        tracking_id = await finalized(alice)
        emu.add_fault(FaultRule(method="GET", path=STATUS, status=500))  # not retried
        with pytest.raises(WaitTimeoutError) as caught:
            await alice.transfer(tracking_id).wait_until_active(timeout=0.5, interval=0.05)
        assert isinstance(caught.value.__cause__, ServerError)
