"""Every setting is checked when the client is made: ConfigurationError, never TypeError."""

from __future__ import annotations

import math
import ssl
from datetime import timedelta
from typing import Any

import pytest

from cryptshare_async import ConfigurationError, CryptshareClient, RetryPolicy, Timeouts
from cryptshare_async._transport import TransportSettings

CID = "a" * 60


@pytest.mark.parametrize(
    "kwargs",
    [
        {"read": -1},
        {"read": 0},
        {"read": math.nan},
        {"read": math.inf},
        {"read": "5"},
        {"read": True},
        {"connect": 0},
        {"connect": -0.5},
        {"connect": [1]},
    ],
)
def test_bad_timeouts(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="timeout must be a finite number"):
        Timeouts(**kwargs)


def test_good_timeouts() -> None:
    assert Timeouts(connect=None, read=None).read is None
    assert Timeouts(connect=1, read=0.5).connect == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"max_attempts": -1},
        {"max_attempts": 1.5},
        {"max_attempts": True},
        {"max_attempts": 10_000},
        {"backoff_base": -1},
        {"backoff_base": math.nan},
        {"backoff_base": "1"},
        {"backoff_max": -0.1},
        {"backoff_max": math.inf},
        {"retry_statuses": [200]},
        {"retry_statuses": ["503"]},
        {"retry_statuses": 503},
        {"retry_statuses": "503"},
        {"retry_statuses": [True]},
        {"retry_on_connection_errors": 1},
        {"retry_on_connection_errors": "yes"},
    ],
)
def test_bad_retry_policies(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="RetryPolicy"):
        RetryPolicy(**kwargs)


def test_good_retry_policies() -> None:
    assert RetryPolicy(retry_statuses=[429, 503]).retry_statuses == frozenset({429, 503})
    assert RetryPolicy(backoff_base=0, backoff_max=0).delay(3) == 0
    assert RetryPolicy.disabled().max_attempts == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_connections": 0},
        {"max_connections": True},
        {"max_connections": 2.0},
        {"max_connections_per_host": -1},
        {"max_connections_per_host": False},
        {"max_response_bytes": 0},
        {"max_response_bytes": 10},
        {"max_response_bytes": "4MiB"},
        {"minimum_minor_version": True},
        {"allow_insecure_http": "no"},
        {"allow_insecure_tls": 1},
        {"timeouts": 5},
        {"retry": 3},
        {"ssl_context": "verify"},
        {"session": "pool"},
        {"token_store": {}},
        {"token_refresh_margin": 60},
        {"token_refresh_margin": timedelta(seconds=-1)},
    ],
)
def test_bad_client_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        CryptshareClient("https://x.y", client_id=CID, **kwargs)


def test_settings_are_validated_on_their_own() -> None:
    with pytest.raises(ConfigurationError, match="max_connections must be an int >= 1"):
        TransportSettings(max_connections=0)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pw-Secret-123@share.example.com",
        "https://pw-Secret-123@share.example.com",
        "https://user:pw-Secret-123@share.example.com/api",
        "ftp://user:pw-Secret-123@share.example.com",
    ],
)
def test_credentials_in_the_url_are_refused_and_never_shown(url: str) -> None:
    with pytest.raises(ConfigurationError, match="credentials") as caught:
        CryptshareClient(url, client_id=CID)
    error = caught.value
    for text in (str(error), repr(error), repr(error.args), repr(error.__dict__)):
        assert "pw-Secret-123" not in text
    assert error.__cause__ is None


@pytest.mark.parametrize("url", ["http://[::1", "https://x.y:99999999", 42])
def test_unparseable_urls_are_configuration_errors(url: Any) -> None:
    with pytest.raises(ConfigurationError):
        CryptshareClient(url, client_id=CID)


def _unverified(**changes: Any) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    if changes.get("cert_none"):
        context.verify_mode = ssl.CERT_NONE
    return context


@pytest.mark.parametrize("context", [_unverified(), _unverified(cert_none=True)])
def test_unverified_tls_needs_an_explicit_flag(context: ssl.SSLContext) -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_tls=True"):
        CryptshareClient("https://x.y", client_id=CID, ssl_context=context)
    client = CryptshareClient(
        "https://x.y", client_id=CID, ssl_context=context, allow_insecure_tls=True
    )
    assert client.base_url.host == "x.y"


def test_a_verifying_context_is_accepted() -> None:
    context = ssl.create_default_context()
    CryptshareClient("https://x.y", client_id=CID, ssl_context=context)
