"""The protocol layer quotes nothing of an answer that echoes the request's secrets.

Every text :mod:`_protocol` takes from an answer (an ``errorMessage``, an excerpt of an
HTML or non-JSON body, a ``Location``) is scrubbed of ``ApiResponse.secrets``, in every
spelling a server could echo, before it is cut: no secret survives whole or half-cut.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable

import pytest

from cryptshare_async import _protocol as protocol
from cryptshare_async._errors import ResponseParseError
from cryptshare_async._protocol import ApiRequest, ApiResponse
from cryptshare_async._scrub import secrets_in

CLIENT_ID = "EchoClientId" + "Q7" * 20
TOKEN = "EchoToken" + "T9" * 12
PASSWORD = "pw ÄÖ&?=<b>x"
HEADERS = {
    "X-CS-ClientId": CLIENT_ID,
    "X-CS-VerificationToken": TOKEN,
    "X-CS-Password": "pw%20%C3%84%C3%96%26%3F%3D%3Cb%3Ex",
    "X-CS-ProductKey": "api.rest",
}
SECRETS = secrets_in(HEADERS)
# How a server may echo them: as sent, decoded, JSON- or HTML-escaped, '+' for spaces.
ECHOES = [
    CLIENT_ID,
    TOKEN,
    PASSWORD,
    HEADERS["X-CS-Password"],
    "pw+%C3%84%C3%96%26%3F%3D%3Cb%3Ex",
    json.dumps(PASSWORD)[1:-1],
    "pw ÄÖ&amp;?=&lt;b&gt;x",
]
# What must never be shown: each secret, and its start (a secret cut in two).
FORBIDDEN = [CLIENT_ID, TOKEN, CLIENT_ID[:12], TOKEN[:10]]

REQUEST = protocol.get_session_request("alice@example.com", "T1")
CREATE = protocol.create_session_request("alice@example.com", {})


def answer(status: int, body: bytes | str, **headers: str) -> ApiResponse:
    raw = body.encode() if isinstance(body, str) else body
    return ApiResponse(status=status, headers=headers, body=raw, secrets=SECRETS)


def assert_clean(text: str) -> None:
    for secret in [*FORBIDDEN, *ECHOES]:
        assert secret not in text, text[:300]


def error_text(request: ApiRequest, response: ApiResponse) -> str:
    error = protocol.error_for_response(request, response)
    return f"{error} {error!r} {error.args} {vars(error)}"


@pytest.mark.parametrize("echo", ECHOES)
@pytest.mark.parametrize(
    "page",
    [
        lambda e: json.dumps({"errorCode": 3002, "errorMessage": f"bad {e} here"}),
        lambda e: json.dumps({"errorCode": 5000, "errorMessage": "x" * 485 + e}),
        lambda e: f"<html><body><h1>Bad gateway</h1><p>{e}</p></body></html>",
        lambda e: "<p>" + "y" * 185 + e + "</p>",
        lambda e: "not json " + e,
    ],
    ids=["error-message", "cut-error-message", "html", "cut-html", "text"],
)
def test_error_texts_are_scrubbed(page: Callable[[str], str], echo: str) -> None:
    for status in (403, 502):
        assert_clean(error_text(REQUEST, answer(status, page(echo))))


def test_a_secret_split_by_white_space_is_scrubbed_once_joined() -> None:
    secret = "open sesame 42"
    response = ApiResponse(
        502, {}, b"<p>open\n   sesame\t42</p>", secrets=frozenset({secret, "other"})
    )
    error = protocol.error_for_response(REQUEST, response)
    assert secret not in str(error) and "***" in str(error)


@pytest.mark.parametrize("echo", ECHOES)
@pytest.mark.parametrize("tags", [0, 200, 208, 209])
def test_a_non_json_success_body_is_quoted_scrubbed(echo: str, tags: int) -> None:
    # The excerpt decodes the first 640 bytes; tags before the secret vanish from the
    # text, so a secret across that edge would be shown half-cut.
    with pytest.raises(ResponseParseError) as caught:
        protocol.json_data(REQUEST, answer(200, "<i>" * tags + echo))
    assert_clean(str(caught.value))
    assert caught.value.__context__ is None


@pytest.mark.parametrize("echo", [CLIENT_ID, TOKEN, PASSWORD, HEADERS["X-CS-Password"]])
@pytest.mark.parametrize(
    "location",
    [
        "/api/users/alice@example.com/elsewhere/{}",
        "/api/users/alice@example.com/transfer-sessions/{}/x",
        "http://other.example/{}",
        "/api/users/{}/transfer-sessions/T1",
    ],
)
def test_an_unusable_location_is_quoted_scrubbed(location: str, echo: str) -> None:
    response = answer(201, b"", Location=location.format(echo))
    found = protocol.read_created_id(CREATE, response, request_url="http://127.0.0.1/api/x")
    assert found.id is None
    assert_clean(found.problem)
    with pytest.raises(ResponseParseError) as caught:
        protocol.created_id(CREATE, response, request_url="http://127.0.0.1/api/x")
    assert_clean(str(caught.value))


def test_without_secrets_texts_are_quoted_as_before() -> None:
    response = ApiResponse(403, {}, json.dumps({"errorCode": 3002, "errorMessage": TOKEN}).encode())
    assert TOKEN in str(protocol.error_for_response(REQUEST, response))


def test_secrets_are_never_shown_compared_or_pickled() -> None:
    plain = ApiResponse(200, {"A": "b"}, b"{}")
    response = ApiResponse(200, {"A": "b"}, b"{}", secrets=SECRETS)
    assert TOKEN not in repr(response) and "secrets" not in repr(response)
    assert response == plain
    restored = pickle.loads(pickle.dumps(response))
    assert restored.secrets == frozenset()
    assert (restored.status, restored.headers, restored.body) == (200, {"A": "b"}, b"{}")
    assert TOKEN.encode() not in pickle.dumps(response)
