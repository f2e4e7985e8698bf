"""A one-shot stream that cannot be resent says why a resend was needed."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from cryptshare_async import ServerError, SourceNotReplayableError, TransportError
from cryptshare_async._session import TransferSession
from cryptshare_async.testing import Emulator, FaultRule

DATA = os.urandom(700_000)


async def _chunks(step: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(DATA), step):
        yield DATA[start : start + step]


async def test_the_503_is_the_cause(emu: Emulator, session: TransferSession) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", status=503, times=1))
    with pytest.raises(SourceNotReplayableError) as caught:
        await session.upload(_chunks(), size=len(DATA), file_name="once.bin")
    cause = caught.value.__cause__
    assert isinstance(cause, ServerError) and cause.status == 503
    assert "HTTP 503" in str(caught.value)


async def test_the_dropped_connection_is_the_cause(emu: Emulator, session: TransferSession) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", drop_after_bytes=300_000, times=1))
    with pytest.raises(SourceNotReplayableError) as caught:
        await session.upload(_chunks(), size=len(DATA), file_name="once.bin")
    assert isinstance(caught.value.__cause__, TransportError)
    assert "attempt before failed" in str(caught.value)
