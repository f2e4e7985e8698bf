"""A whole transfer, logged and hooked: one record per request, one per retry, no secret."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from cryptshare_async import (
    CryptshareClient,
    PasswordMode,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    RetryPolicy,
)
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import ALICE, BOB, make_transfer

PASSWORD = "Tr4nsfer-Secret ä/1"
FILES = {"report.pdf": b"%PDF " + b"r" * 3000}
FAST: dict[str, Any] = {"interval": 0.01, "max_interval": 0.05, "timeout": 30.0}


def library_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # The emulator logs as the server would, under cryptshare_async.testing.
    return [
        r
        for r in caplog.records
        if r.name.startswith("cryptshare_async")
        and not r.name.startswith("cryptshare_async.testing")
    ]


async def test_a_transfer_logs_each_request_and_retry_without_secrets(
    emu: Emulator, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG, logger="cryptshare_async")
    events: list[Any] = []

    async def on_response(event: ResponseEvent) -> None:
        events.append(event)

    hooks = {"request": [events.append], "response": [on_response], "retry": [events.append]}
    emu.add_fault(FaultRule(method="PUT", path="*/content", status=503, nth=1))
    async with CryptshareClient(
        emu.url,
        client_id=emu.client_id,
        retry=RetryPolicy(backoff_base=0, backoff_max=0),
        event_hooks=hooks,
    ) as client:
        alice = client.sender(ALICE)
        transfer = await make_transfer(
            alice, FILES, password_mode=PasswordMode.MANUAL, password=PASSWORD
        )
        await transfer.wait_until_active(**FAST)
        transfer_id = emu.recipient_transfer_ids(transfer.tracking_id)[BOB]
        incoming = client.recipient_transfer(transfer_id, password=PASSWORD)
        await incoming.download_all(tmp_path)
        stored = await client._tokens.cached(client.token_key(ALICE))
    assert stored is not None

    records = library_records(caplog)
    http = [r for r in records if r.name == "cryptshare_async.http"]
    retries = [r for r in records if r.name == "cryptshare_async.retry"]
    assert len(http) == len(emu.requests) > 5
    assert {r.levelno for r in http} == {logging.DEBUG}
    assert len(retries) == 1 and retries[0].levelno == logging.INFO
    assert (
        "PUT /api/users/{email}/transfer-sessions/{id}/files/{id}/content in 0.00 s after"
        " attempt 1 of 3 failed: HTTP 503" in retries[0].getMessage()
    )

    secrets = [
        emu.client_id,
        stored.token,
        PASSWORD,
        quote(PASSWORD, safe=""),
        ALICE,
        quote(ALICE),
        BOB,
        transfer_id,
        transfer.tracking_id,
    ]
    for record in records:
        texts = record.getMessage() + repr(record.args)
        for secret in secrets:
            assert secret not in texts, (record.name, texts)
    assert not any(secret in repr(events) for secret in secrets)

    # Hooks: request then response for each attempt; the retry between the two attempts.
    requests = [e for e in events if isinstance(e, RequestEvent)]
    responses = [e for e in events if isinstance(e, ResponseEvent)]
    assert len(requests) == len(responses) == len(emu.requests)
    (retry,) = [e for e in events if isinstance(e, RetryEvent)]
    at = events.index(retry)
    assert events[at - 1].status == 503
    assert events[at + 1] == RequestEvent(retry.method, retry.path, 2)
    for index, event in enumerate(events):
        if isinstance(event, RequestEvent):
            answer = events[index + 1]
            assert isinstance(answer, ResponseEvent)
            assert (answer.method, answer.path, answer.attempt) == (
                event.method,
                event.path,
                event.attempt,
            )
