"""The sans-I/O protocol layer: no event loop, no HTTP mock."""

from __future__ import annotations

import json

import pytest

from cryptshare_async import _endpoints as api
from cryptshare_async import _protocol as protocol
from cryptshare_async._errors import (
    ApiError,
    ApiVersionUnsupportedError,
    BadRequestError,
    InvalidInputError,
    NotFoundError,
    NotLicensedError,
    PolicyRejectedError,
    RateLimitedError,
    RemoteLoggingDisabledError,
    ResponseParseError,
    RuleViolationError,
    ServerError,
    TransferDeletedError,
    TransferLockedError,
    UnsupportedSecurityModeError,
    VerificationError,
    WrongPasswordError,
)
from cryptshare_async._paging import paging_query
from cryptshare_async._protocol import ApiRequest, ApiResponse, TokenUse

CLIENT_ID = "A" * 50


def response(status: int, body: object = None, **headers: str) -> ApiResponse:
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return ApiResponse(status=status, headers=headers, body=raw)


# Every errorCode of spec/API-NOTES.md with its HTTP status and the class it maps to.
ERROR_TABLE = [
    (1002, 400, BadRequestError),
    (1004, 400, BadRequestError),
    (1005, 400, BadRequestError),
    (1006, 404, NotFoundError),
    (2001, 409, RuleViolationError),
    (2003, 404, NotFoundError),
    (2004, 404, ApiVersionUnsupportedError),
    (2005, 403, TransferLockedError),
    (2006, 410, TransferDeletedError),
    (2007, 429, RateLimitedError),
    (3001, 403, NotLicensedError),
    (3002, 403, VerificationError),
    (3002, 401, VerificationError),
    (3003, 401, WrongPasswordError),
    (3004, 403, RemoteLoggingDisabledError),
    (3010, 403, PolicyRejectedError),
    (3011, 403, PolicyRejectedError),
    (5000, 500, ServerError),
    (5001, 501, UnsupportedSecurityModeError),
    (5002, 501, UnsupportedSecurityModeError),
]


@pytest.mark.parametrize(("code", "status", "cls"), ERROR_TABLE)
def test_every_error_code_maps_to_its_class(code: int, status: int, cls: type[ApiError]) -> None:
    request = api.GET_SESSION.request(
        email="alice@example.com", tracking_id="20240522-065711-H8UoUSI6"
    )
    error = protocol.error_for_response(
        request, response(status, {"errorCode": code, "errorMessage": "nope"})
    )
    assert type(error) is cls
    assert error.status == status
    assert error.error_code == code
    assert error.error_message == "nope"
    assert error.method == "GET"
    assert error.path == "/api/users/alice@example.com/transfer-sessions/20240522-065711-H8UoUSI6"
    assert str(code) in str(error) and "nope" in str(error)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, VerificationError),
        (404, NotFoundError),
        (409, RuleViolationError),
        (410, TransferDeletedError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (418, ApiError),
    ],
)
def test_status_without_error_code_still_maps(status: int, cls: type[ApiError]) -> None:
    request = api.SERVER_STATUS.request()
    error = protocol.error_for_response(request, response(status, b""))
    assert type(error) is cls
    assert error.error_code is None


def test_html_proxy_page_becomes_server_error_with_excerpt() -> None:
    page = (
        b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
    )
    request = api.SERVER_STATUS.request()
    error = protocol.error_for_response(
        request, response(502, page, **{"Content-Type": "text/html"})
    )
    assert isinstance(error, ServerError)
    assert error.error_code is None
    assert "Bad Gateway" in error.error_message
    assert "<" not in error.error_message


def test_unknown_error_code_falls_back_to_status() -> None:
    request = api.SERVER_STATUS.request()
    error = protocol.error_for_response(request, response(409, {"errorCode": 9999}))
    assert type(error) is RuleViolationError
    assert error.error_code == 9999


def test_429_is_rate_limited_with_retry_after() -> None:
    request = api.REQUEST_EMAIL_CODE.request(email="a@example.com")
    error = protocol.error_for_response(request, response(429, b"", **{"retry-after": "7"}))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7.0


def test_api_error_pickles_and_keeps_fields() -> None:
    import pickle

    request = api.SERVER_STATUS.request()
    error = protocol.error_for_response(request, response(404, {"errorCode": 2003}))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is NotFoundError
    assert copy.error_code == 2003
    assert str(copy) == str(error)


@pytest.mark.parametrize(
    "location",
    [
        "https://share.example.com/api/users/a@example.com/transfer-sessions/20240522-065711-H8UoUSI6",
        "/api/users/a@example.com/transfer-sessions/20240522-065711-H8UoUSI6",
        "transfer-sessions/20240522-065711-H8UoUSI6",
        "https://share.example.com/api/users/a@example.com/transfer-sessions/20240522-065711-H8UoUSI6/",
    ],
)
def test_created_id_from_absolute_or_relative_location(location: str) -> None:
    request = api.CREATE_SESSION.request(email="a@example.com", body={})
    assert (
        protocol.created_id(request, response(201, None, Location=location))
        == "20240522-065711-H8UoUSI6"
    )


def test_created_id_falls_back_to_file_id_body() -> None:
    request = api.REGISTER_FILE.request(
        email="a@example.com", tracking_id="T1", body={"fileName": "x", "size": 1}
    )
    result = protocol.created_id(request, response(201, {"data": {"fileId": "a58dFp1Tr7"}}))
    assert result == "a58dFp1Tr7"


def test_created_id_without_location_is_a_parse_error() -> None:
    request = api.FINALIZE_SESSION.request(email="a@example.com", tracking_id="T1")
    with pytest.raises(ResponseParseError, match="Location"):
        protocol.created_id(request, response(201))


def test_json_data_unwraps_envelope_and_passes_bare_documents() -> None:
    request = api.SERVER_STATUS.request()
    assert protocol.json_data(request, response(200, {"data": {"x": 1}, "meta": {}})) == {"x": 1}
    bare = {"apiVersions": {"uiApiVersions": [{"major": 1, "minor": 13}]}}
    assert protocol.json_data(request, response(200, bare)) == bare


def test_json_data_rejects_non_json_success() -> None:
    request = api.SERVER_STATUS.request()
    with pytest.raises(ResponseParseError, match="not JSON"):
        protocol.json_data(request, response(200, b"<html>hi</html>"))


def test_raise_for_status_raises_typed_error() -> None:
    request = api.FINALIZE_SESSION.request(email="a@example.com", tracking_id="T1")
    with pytest.raises(RuleViolationError):
        protocol.raise_for_status(request, response(409, {"errorCode": 2001, "errorMessage": "x"}))


def test_headers_minor_version_is_max_of_floor_and_endpoint_need() -> None:
    revoke = api.REVOKE_TRANSFER.request(email="a@example.com", tracking_id="T1", body={})
    sent = api.SENT_TRANSFERS.request(
        email="a@example.com", query={"page": 1, "page-size": 10, "active": None, "fields": None}
    )
    plain = api.GET_SESSION.request(email="a@example.com", tracking_id="T1")

    def minor(request: ApiRequest, floor: int) -> str:
        headers = protocol.build_headers(
            request,
            client_id=CLIENT_ID,
            minimum_minor_version=floor,
            product_key="api.rest",
            language=None,
            token="tok",
        )
        return headers["X-CS-MinimumMinorApiVersion"]

    assert minor(revoke, 8) == "10"
    assert minor(sent, 8) == "12"
    assert minor(plain, 8) == "8"
    assert minor(revoke, 13) == "13"


def test_headers_token_only_where_the_endpoint_takes_one() -> None:
    common = {
        "client_id": CLIENT_ID,
        "minimum_minor_version": 8,
        "product_key": "api.rest",
        "language": "de",
        "token": "secret-token",
    }
    with_token = protocol.build_headers(
        api.GET_SESSION.request(email="a@b.de", tracking_id="T"), **common
    )
    assert with_token["X-CS-VerificationToken"] == "secret-token"
    assert with_token["Accept-Language"] == "de"
    assert with_token["X-CS-MajorApiVersion"] == "1"
    assert with_token["X-CS-ProductKey"] == "api.rest"
    without = protocol.build_headers(api.REQUEST_EMAIL_CODE.request(email="a@b.de"), **common)
    assert "X-CS-VerificationToken" not in without


def test_per_call_language_overrides_client_language() -> None:
    request = api.TRANSFER_STATUS.request(email="a@b.de", tracking_id="T", language="fr")
    headers = protocol.build_headers(
        request,
        client_id=CLIENT_ID,
        minimum_minor_version=8,
        product_key="api.rest",
        language="de",
        token="t",
    )
    assert headers["Accept-Language"] == "fr"


def test_header_injection_is_refused_without_echoing_secret() -> None:
    request = api.GET_SESSION.request(email="a@b.de", tracking_id="T")
    with pytest.raises(InvalidInputError) as caught:
        protocol.build_headers(
            request,
            client_id=CLIENT_ID,
            minimum_minor_version=8,
            product_key="api.rest",
            language=None,
            token="abc\r\nX-Evil: 1",
        )
    assert "abc" not in str(caught.value)
    with pytest.raises(InvalidInputError):
        protocol.build_headers(
            request,
            client_id=CLIENT_ID,
            minimum_minor_version=8,
            product_key="api.rest",
            language="en\nX: y",
            token=None,
        )


@pytest.mark.parametrize(
    ("email", "segment"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice.Smith+tag@Example.COM", "Alice.Smith%2Btag@Example.COM"),
        ("jörg@example.de", "j%C3%B6rg@example.de"),
        ("o'hara@example.com", "o%27hara@example.com"),
    ],
)
def test_email_in_path_is_percent_encoded(email: str, segment: str) -> None:
    request = api.GET_SESSION.request(email=email, tracking_id="T1")
    assert request.path == f"/users/{segment}/transfer-sessions/T1"


def test_paths_and_methods_of_every_builder() -> None:
    e = "a@example.com"
    cases = [
        (api.REQUEST_CLIENT_ID.request(), "GET", "/clients"),
        (api.SERVER_STATUS.request(), "GET", "/status"),
        (api.VERIFICATION_STATUS.request(email=e), "GET", f"/users/{e}/verification"),
        (api.REQUEST_EMAIL_CODE.request(email=e), "POST", f"/users/{e}/verification/code/email"),
        (
            api.REQUEST_TOKEN.request(email=e, body={"verificationCode": "123"}),
            "POST",
            f"/users/{e}/verification/token",
        ),
        (api.CREATE_SESSION.request(email=e, body={}), "POST", f"/users/{e}/transfer-sessions"),
        (
            api.GET_SESSION.request(email=e, tracking_id="T"),
            "GET",
            f"/users/{e}/transfer-sessions/T",
        ),
        (
            api.UPDATE_SESSION.request(email=e, tracking_id="T", body={}),
            "PATCH",
            f"/users/{e}/transfer-sessions/T",
        ),
        (
            api.DELETE_SESSION.request(email=e, tracking_id="T"),
            "DELETE",
            f"/users/{e}/transfer-sessions/T",
        ),
        (
            api.FINALIZE_SESSION.request(email=e, tracking_id="T"),
            "POST",
            f"/users/{e}/transfer-sessions/T",
        ),
        (
            api.REGISTER_FILE.request(email=e, tracking_id="T", body={}),
            "POST",
            f"/users/{e}/transfer-sessions/T/files",
        ),
        (
            api.PUT_CONTENT.request(email=e, tracking_id="T", file_id="F"),
            "PUT",
            f"/users/{e}/transfer-sessions/T/files/F/content",
        ),
        (
            api.DELETE_FILE.request(email=e, tracking_id="T", file_id="F"),
            "DELETE",
            f"/users/{e}/transfer-sessions/T/files/F",
        ),
        (api.TRANSFER_STATUS.request(email=e, tracking_id="T"), "GET", f"/users/{e}/transfers/T"),
        (
            api.REVOKE_TRANSFER.request(email=e, tracking_id="T", body={}),
            "PATCH",
            f"/users/{e}/transfers/T",
        ),
        (
            api.LEGACY_TRANSFERS.request(email=e, query={"page": 1, "page-size": 10}),
            "GET",
            f"/users/{e}/transfers",
        ),
        (
            api.TRANSFER_POLICY.request(email=e, body={"recipients": []}),
            "POST",
            f"/users/{e}/transfer-policy",
        ),
        (api.GENERATE_PASSWORD.request(), "GET", "/password"),
        (api.VALIDATE_PASSWORD.request(body={"password": "x"}), "POST", "/password"),
        (api.PASSWORD_REQUIREMENTS.request(), "GET", "/password/requirements"),
        (api.RECIPIENT_INFO.request(transfer_id="R", password=None), "GET", "/transfers/R"),
        (api.RECIPIENT_FILES.request(transfer_id="R", password=None), "GET", "/transfers/R/files"),
        (
            api.RECIPIENT_DOWNLOAD.request(transfer_id="R", file_id="F", password=None),
            "GET",
            "/transfers/R/files/F",
        ),
    ]
    for request, method, path in cases:
        assert (request.method, request.path) == (method, path)
        assert request.url_path == "/api" + path


def test_idempotency_flags() -> None:
    e = "a@example.com"
    assert api.GET_SESSION.request(email=e, tracking_id="T").idempotent
    assert api.PUT_CONTENT.request(email=e, tracking_id="T", file_id="F").idempotent
    assert api.UPDATE_SESSION.request(email=e, tracking_id="T", body={}).idempotent
    assert not api.CREATE_SESSION.request(email=e, body={}).idempotent
    assert not api.FINALIZE_SESSION.request(email=e, tracking_id="T").idempotent
    assert not api.REGISTER_FILE.request(email=e, tracking_id="T", body={}).idempotent
    assert not api.REVOKE_TRANSFER.request(email=e, tracking_id="T", body={}).idempotent


def test_token_use_per_endpoint() -> None:
    e = "a@example.com"
    assert api.VERIFICATION_STATUS.request(email=e).token is TokenUse.OPTIONAL
    assert api.REQUEST_TOKEN.request(email=e, body={}).token is TokenUse.NONE
    assert api.CREATE_SESSION.request(email=e, body={}).token is TokenUse.REQUIRED
    assert api.TRANSFER_POLICY.request(email=e, body={"recipients": []}).token is TokenUse.REQUIRED


def test_token_request_bodies() -> None:
    assert api.REQUEST_TOKEN.request(email="a@b.de", body={"verificationCode": "123456"}).json == {
        "verificationCode": "123456"
    }
    assert api.REQUEST_TOKEN.request(email="a@b.de", body={}).json == {}


def test_polling_query_keeps_every_filter() -> None:
    request = api.RECEIVED_TRANSFERS.request(
        email="a@b.de", query={"page": 3, "page-size": 100, "active": False, "fields": "trackingId"}
    )
    assert request.query == (
        ("page", "3"),
        ("page-size", "100"),
        ("active", "false"),
        ("fields", "trackingId"),
    )
    assert request.path == "/users/a@b.de/transfers/received-transfers"


@pytest.mark.parametrize(("page", "size"), [(0, 10), (1, 0), (1, 101), (True, 10), (1, 2.5)])
def test_bad_paging_is_refused_before_sending(page: object, size: object) -> None:
    with pytest.raises(InvalidInputError):
        paging_query(page, size)  # type: ignore[arg-type]


def test_recipient_password_is_url_encoded_in_header_and_hidden_from_repr() -> None:
    request = api.RECIPIENT_INFO.request(transfer_id="R", password="p ä/ss")
    assert dict(request.extra_headers) == {"X-CS-Password": "p%20%C3%A4%2Fss"}
    assert "p%20" not in repr(request)


def test_bad_ids_are_refused() -> None:
    for bad in ("", "..", "."):
        with pytest.raises(InvalidInputError):
            api.GET_SESSION.request(email="a@b.de", tracking_id=bad)
    assert api.GET_SESSION.request(email="a@b.de", tracking_id="a/b").path.endswith("/a%2Fb")
