from __future__ import annotations

import pytest

from cryptshare_async._errors import ConfigurationError, InvalidInputError
from cryptshare_async._retry import RetryPolicy
from cryptshare_async._validation import (
    generate_client_id,
    validate_client_id,
    validate_email,
    validate_recipients,
)


@pytest.mark.parametrize(
    "address",
    [
        "alice@example.com",
        "Alice.Smith+tag@Example.COM",
        "jörg@müller.de",
        "o'hara@example.co.uk",
        "x@localhost",
        "a_b-c@sub.example.org",
    ],
)
def test_valid_addresses_are_returned_unchanged(address: str) -> None:
    assert validate_email(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "",
        " alice@example.com",
        "alice@example.com ",
        "alice",
        "@example.com",
        "alice@",
        "a b@example.com",
        "alice@exa mple.com",
        "alice@@example.com",
        "alice@example..com",
        ".alice@example.com",
        "al..ice@example.com",
        "alice@example.com\r\nBcc: x@y.z",
        "alice@-example.com",
        "Alice <alice@example.com>",
        "a@b.de,c@d.de",
        "x" * 65 + "@example.com",
    ],
)
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(InvalidInputError):
        validate_email(address)


def test_non_str_address() -> None:
    with pytest.raises(InvalidInputError, match="must be a str"):
        validate_email(42)


def test_recipients_need_at_least_one_and_no_bare_string() -> None:
    with pytest.raises(InvalidInputError, match="at least one recipient"):
        validate_recipients([], [], [])
    with pytest.raises(InvalidInputError, match="not a single str"):
        validate_recipients("bob@example.org", [], [])
    with pytest.raises(InvalidInputError, match="cc recipient"):
        validate_recipients(["bob@example.org"], ["nope"], [])
    assert validate_recipients([], [], ["b@x.de"]) == ((), (), ("b@x.de",))


def test_client_id_rules_and_no_echo() -> None:
    good = "a" * 50
    assert validate_client_id(good) == good
    assert validate_client_id("Z9" * 2000) == "Z9" * 2000
    with pytest.raises(ConfigurationError, match="50 to 4000"):
        validate_client_id("a" * 49)
    with pytest.raises(ConfigurationError, match="50 to 4000"):
        validate_client_id("a" * 4001)
    bad = "a" * 49 + "-"
    with pytest.raises(ConfigurationError) as caught:
        validate_client_id(bad)
    assert bad not in str(caught.value)


def test_generated_client_ids_are_valid_and_distinct() -> None:
    ids = {generate_client_id() for _ in range(20)}
    assert len(ids) == 20
    for value in ids:
        assert validate_client_id(value) == value
    assert len(generate_client_id(4000)) == 4000
    with pytest.raises(InvalidInputError):
        generate_client_id(10)


def test_retry_delay_full_jitter_and_cap() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=5.0)
    assert policy.delay(1, rand=lambda: 1.0) == 1.0
    assert policy.delay(3, rand=lambda: 1.0) == 4.0
    assert policy.delay(10, rand=lambda: 1.0) == 5.0
    assert policy.delay(3, rand=lambda: 0.5) == 2.0
    assert policy.delay(1, retry_after=30) == 5.0
    assert policy.delay(1, retry_after=2) == 2.0
    assert RetryPolicy.disabled().max_attempts == 1
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
