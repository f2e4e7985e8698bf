"""Describing foreign exceptions without secrets; the streamed response value."""

from __future__ import annotations

import pytest

from cryptshare_async import InvalidInputError, StreamedResponse
from cryptshare_async._scrub import describe, scrub, secrets_in

HEADERS = {
    "X-CS-ClientId": "Client0123456789",
    "X-CS-VerificationToken": "Token0123456789",
    "X-CS-Password": "p%C3%A4ss%20word",
    "X-CS-ProductKey": "api.rest",
    "X-CS-MajorApiVersion": "1",
}


def test_every_spelling_of_a_secret_header_is_a_secret() -> None:
    secrets = secrets_in(HEADERS)
    assert {"Client0123456789", "Token0123456789", "p%C3%A4ss%20word", "päss word"} <= secrets
    assert "api.rest" not in secrets and "1" not in secrets


@pytest.mark.parametrize(
    "text",
    [
        "token Token0123456789 refused",
        "headers: {'X-CS-ClientId': 'Client0123456789'}",
        "password päss word",
        "quoted p%C3%A4ss%20word",
    ],
)
def test_describe_scrubs(text: str) -> None:
    described = describe(OSError(text), secrets_in(HEADERS))
    assert described.startswith("OSError: ")
    for secret in secrets_in(HEADERS):
        assert secret not in described
    assert "***" in described


def test_describe_cuts_long_texts_after_scrubbing() -> None:
    text = "x" * 195 + "Token0123456789" + "y" * 1000
    described = describe(ValueError(text), secrets_in(HEADERS))
    assert "Token" not in described and len(described) <= len("ValueError: ") + 200
    assert scrub("a\n\n b", ()) == "a b"


def test_describe_survives_a_broken_str() -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert describe(Broken(), ()) == "Broken"


async def test_streamed_response_reads_in_bounded_chunks() -> None:
    response = StreamedResponse.from_bytes(200, {"A": "b"}, b"abcdefg")
    assert repr(response) == "StreamedResponse(status=200)"
    assert await response.read(3) == b"abc"
    assert [chunk async for chunk in response.iter_chunks(2)] == [b"de", b"fg"]
    assert await response.read() == b""
    for bad in (0, -1, True, 1.5):
        with pytest.raises(InvalidInputError):
            await response.read(bad)  # type: ignore[arg-type]
