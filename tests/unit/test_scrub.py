"""Describing foreign exceptions without secrets; the streamed response value."""

from __future__ import annotations

import pytest

from cryptshare_async import InvalidInputError, StreamedResponse
from cryptshare_async._scrub import (
    describe,
    redact,
    redact_json,
    scrub,
    secrets_in,
    secrets_in_json,
    spellings,
)

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


@pytest.mark.parametrize(
    ("value", "echo"),
    [
        ("pä ss&w<rd>", "pä ss&w<rd>"),
        ("pä ss&w<rd>", "p%C3%A4%20ss%26w%3Crd%3E"),
        ("pä ss&w<rd>", "p%C3%A4+ss%26w%3Crd%3E"),
        ("pä ss&w<rd>", "p\\u00e4 ss&w<rd>"),
        ("pä ss&w<rd>", "pä ss&amp;w&lt;rd&gt;"),
        ("p%C3%A4%20ss", "pä ss"),
        ("a+b+c+d", "a b c d"),
    ],
)
def test_spellings_cover_every_echo(value: str, echo: str) -> None:
    assert echo in spellings(value)
    assert redact(f"server says {echo}.", spellings(value)) == "server says ***."


def test_short_spellings_are_not_secrets() -> None:
    assert spellings("abc") == frozenset()
    assert redact("abc abc", spellings("abc")) == "abc abc"


def test_secret_fields_of_a_request_body_are_secrets() -> None:
    body = {
        "password": "hunter2-hunter2",
        "verificationCode": "C0de-1234",
        "securityMode": {"name": "ONE_TIME_PASSWORD", "config": {"password": "in-depth-pw"}},
        "passwordMode": "GENERATED",
        "recipients": [{"mail": "bob@example.org"}],
        "nested": [{"accessToken": "tok-tok-tok"}],
    }
    found = secrets_in_json(body)
    assert {"hunter2-hunter2", "C0de-1234", "in-depth-pw", "tok-tok-tok"} <= found
    assert not {"GENERATED", "ONE_TIME_PASSWORD", "bob@example.org"} & found
    assert secrets_in_json(None) == secrets_in_json("password") == frozenset()


def test_redact_replaces_the_longest_secret_whole_and_keeps_the_rest() -> None:
    text = "a\n  Token0123456789-longer and Token0123456789"
    assert redact(text, {"Token0123456789", "Token0123456789-longer"}) == "a\n  *** and ***"
    assert scrub("split Token01234\n56789", {"Token01234 56789"}) == "split ***"


def test_redact_json_replaces_secrets_in_every_key_and_string() -> None:
    secrets = spellings("s3cret pw")
    document = {
        "state": "s3cret%20pw",
        "s3cret pw": [1, None, True, {"deep": ["x s3cret+pw y"]}],
        "n": 2.5,
    }
    assert redact_json(document, secrets) == {
        "state": "***",
        "***": [1, None, True, {"deep": ["x *** y"]}],
        "n": 2.5,
    }
    assert redact_json(document, frozenset()) is document
