"""The JSON depth pre-scan and the bounded error excerpt (no I/O)."""

from __future__ import annotations

import json

import pytest

from cryptshare_async import (
    ApiError,
    NotFoundError,
    ResponseParseError,
    ServerError,
    VerificationError,
)
from cryptshare_async import _endpoints as api
from cryptshare_async import _protocol as protocol
from cryptshare_async._protocol import MAX_JSON_DEPTH, ApiResponse, json_depth

REQUEST = api.GET_SESSION.request(email="alice@example.com", tracking_id="T1")


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"", 0),
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": 2}]}', 3),
        (b'{"a": "[[[[{{{{"}', 1),
        (b'["\\"[[[", [["]"]]]', 3),
        (b'["\\\\", [[]]]', 3),
        (b'"unterminated [[[[', 0),
        (b"[" * 500, 500),
        (b"[]" * 500, 1),
    ],
)
def test_json_depth(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


def test_json_depth_matches_the_parser_on_real_documents() -> None:
    document = {"data": [{"a": [1, [2, [3, {"s": "]]}}{{"}]]]} for _ in range(50)], "meta": {}}
    assert json_depth(json.dumps(document).encode()) == 7


def test_pathological_strings_are_linear() -> None:
    # Many escaped quotes in an unterminated string: a backtracking scan would be quadratic.
    body = b'"' + b'\\"' * 1_000_000
    assert json_depth(body) == 0


def response(status: int, body: bytes) -> ApiResponse:
    return ApiResponse(status=status, headers={}, body=body)


def test_json_at_the_limit_parses_and_beyond_is_refused() -> None:
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert protocol.json_data(REQUEST, response(200, at_limit)) is not None
    deeper = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(ResponseParseError, match="nested deeper than 100"):
        protocol.json_data(REQUEST, response(200, deeper))


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, NotFoundError), (503, ServerError), (401, VerificationError), (418, ApiError)],
)
def test_deep_error_bodies_map_by_status(status: int, expected: type[ApiError]) -> None:
    deep = b'{"errorCode": 2003, "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    error = protocol.error_for_response(REQUEST, response(status, deep))
    assert type(error) is expected
    assert error.error_code is None
    assert error.error_message.startswith('{"errorCode": 2003')
    assert len(error.error_message) <= 200


def test_the_excerpt_of_a_huge_page_is_short() -> None:
    page = b"<html>" + b"<p>Bad gateway</p>" * 500_000 + b"</html>"
    error = protocol.error_for_response(REQUEST, response(502, page))
    assert error.error_message.startswith("Bad gateway Bad gateway")
    assert len(error.error_message) <= 200


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": {"token": "TokenSecret0123456789", "validUntil": ',
        b'{"data": {"verificationToken": "TokenSecret0123456789"',
        b'{"data": {"password": "TokenSecret0123456789"}}}',
        b'{"clientId" : "TokenSecret0123456789',
    ],
)
def test_a_broken_answer_never_quotes_a_secret(body: bytes) -> None:
    request = api.REQUEST_TOKEN.request(email="alice@example.com", body={})
    with pytest.raises(ResponseParseError, match="not JSON") as caught:
        protocol.json_data(request, response(200, body))
    error = caught.value
    assert error.__cause__ is None and error.__context__ is None
    for text in (str(error), repr(error), repr(error.args), repr(error.__dict__)):
        assert "TokenSecret0123456789" not in text
    assert "***" in str(error)
