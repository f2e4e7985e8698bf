"""The endpoint table: it covers the whole API, its rows are consistent, and the one
builder and one parser refuse what does not fit a row."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cryptshare_async import _endpoints as api
from cryptshare_async._endpoints import ENDPOINTS, AnswerKind
from cryptshare_async._enums import LogLevel
from cryptshare_async._errors import InvalidInputError, ResponseParseError
from cryptshare_async._models import LogEntry, PasswordBody, SessionState, TransferSessionSettings
from cryptshare_async._protocol import ApiResponse, TokenUse

SPEC = json.loads((Path(__file__).parent.parent / "data" / "openapi-1.8.json").read_text())
#: Operations of pages newer than the 1.8 schema: revocation (1.10), polling (1.12),
#: server status (1.13).
NEWER = {
    ("PATCH", "/users/{}/transfers/{}"): 10,
    ("GET", "/users/{}/transfers/sent-transfers"): 12,
    ("GET", "/users/{}/transfers/received-transfers"): 12,
    ("GET", "/status"): 13,
}


def _shape(path: str) -> str:
    path = path.replace("/*/**", "/{}")  # the language-pack file: a path below the pack
    return re.sub(r"\{[^}]+\}", "{}", path)


def _operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), _shape(path))
        for path, item in SPEC["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_table_covers_every_operation_once() -> None:
    rows = [(e.method, _shape(e.path)) for e in ENDPOINTS]
    assert len(rows) == len(set(rows)), "an operation is declared twice"
    assert set(rows) == _operations() | set(NEWER)
    assert len({e.name for e in ENDPOINTS}) == len(ENDPOINTS)


def test_newer_operations_declare_their_minimum_version() -> None:
    for endpoint in ENDPOINTS:
        expected = NEWER.get((endpoint.method, _shape(endpoint.path)))
        assert endpoint.minor == expected, endpoint.name


def test_token_use_follows_the_path() -> None:
    for e in ENDPOINTS:
        if e.path.startswith("/users/{email}/verification"):
            expected = {TokenUse.NONE, TokenUse.OPTIONAL}
        elif e.path.startswith("/users/"):
            expected = {TokenUse.REQUIRED}
        elif e.path.startswith("/password"):
            expected = {TokenUse.OPTIONAL}
        else:
            expected = {TokenUse.NONE}
        assert e.token in expected, e.name


def test_every_recipient_operation_takes_the_password_in_a_header() -> None:
    recipient = [e for e in ENDPOINTS if e.path.startswith("/transfers/")]
    assert len(recipient) == 6 and all(e.password for e in recipient)
    assert not any(e.password for e in ENDPOINTS if e not in recipient)
    for e in recipient:
        params = {p: "F1" for p in e.params if p != "transfer_id"}
        request = e.request(transfer_id="R1", password="pa ss&=?", **params)
        assert dict(request.extra_headers) == {"X-CS-Password": "pa%20ss%26%3D%3F"}
        assert "pa" not in request.path and not request.query
        assert "pa%20" not in repr(request)


def test_idempotency_per_row() -> None:
    retried = {e.name for e in ENDPOINTS if e.request(**_params(e)).idempotent}
    assert {"update_session", "transfer_policy", "validate_password", "put_content"} <= retried
    never = {"create_session", "finalize_session", "register_file", "revoke_transfer", "add_logs"}
    assert not never & retried
    assert all(e.name in retried for e in ENDPOINTS if e.method in {"GET", "DELETE"})


def test_created_rows_name_their_collection() -> None:
    for e in ENDPOINTS:
        assert (e.answer.kind is AnswerKind.CREATED) == (e.created_in is not None), e.name
    request = api.REGISTER_FILE.request(email="a@b.de", tracking_id="T1")
    assert request.created_in == "/users/a@b.de/transfer-sessions/T1/files"


def _params(e: api.Endpoint[Any]) -> dict[str, str]:
    values = {"email": "a@b.de", "file_path": "texts/x.json"}
    return {p: values.get(p, "X1") for p in e.params}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"email": "a@b.de"}, TypeError),  # tracking_id missing
        ({"email": "a@b.de", "tracking_id": "T", "file_id": "F"}, TypeError),
        ({"email": "not an address", "tracking_id": "T"}, InvalidInputError),
        ({"email": "a@b.de", "tracking_id": ".."}, InvalidInputError),
        ({"email": "a@b.de", "tracking_id": ""}, InvalidInputError),
        ({"email": "a@b.de", "tracking_id": "T", "password": "x"}, TypeError),
        ({"email": "a@b.de", "tracking_id": "T", "body": PasswordBody("x")}, TypeError),
    ],
)
def test_the_builder_refuses_what_does_not_fit_the_row(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        api.UPDATE_SESSION.request(**kwargs)


def test_bodies_are_models_or_json_ready() -> None:
    settings = TransferSessionSettings(show_file_names=True)
    typed = api.UPDATE_SESSION.request(email="a@b.de", tracking_id="T", body=settings)
    assert typed.json == {"showFileNames": True}
    raw = api.UPDATE_SESSION.request(email="a@b.de", tracking_id="T", body={"x": 1})
    assert raw.json == {"x": 1}
    logs = api.ADD_LOGS.request(body=[LogEntry(LogLevel.WARN, "m")])
    assert logs.json == [{"level": "warn", "message": "m"}]
    with pytest.raises(TypeError):
        api.ADD_LOGS.request(body=[PasswordBody("x")])
    with pytest.raises(TypeError):
        api.GET_SESSION.request(email="a@b.de", tracking_id="T", body={"x": 1})


def test_query_values_are_rendered_and_none_left_out() -> None:
    request = api.RECIPIENT_ZIP.request(
        transfer_id="R", query={"include-checksum-file": False, "x": None, "n": 3}
    )
    assert request.query == (("include-checksum-file", "false"), ("n", "3"))


def test_language_pack_file_paths_are_checked_per_segment() -> None:
    ok = api.LANGUAGE_PACK_FILE.request(product_key="api.rest", pack_id="en", file_path="a/b c")
    assert ok.path == "/products/api.rest/language-packs/en/a/b%20c"
    for bad in ("", "a//b", "../x", "a/./b", "/a"):
        with pytest.raises(InvalidInputError):
            api.LANGUAGE_PACK_FILE.request(product_key="api.rest", pack_id="en", file_path=bad)


def test_the_parser_reads_each_kind() -> None:
    get = api.GET_SESSION.request(email="a@b.de", tracking_id="T")
    body = json.dumps({"data": {"showFileNames": True}}).encode()
    state = api.GET_SESSION.parse(get, ApiResponse(200, {}, body))
    assert isinstance(state, SessionState) and state.show_file_names is True
    with pytest.raises(ResponseParseError):
        api.GET_SESSION.parse(get, ApiResponse(200, {}, b'{"data": []}'))
    csv = api.RECIPIENT_CHECKSUMS.request(transfer_id="R")
    assert api.RECIPIENT_CHECKSUMS.parse(csv, ApiResponse(200, {}, b"a,b")) == b"a,b"
    delete = api.DELETE_SESSION.request(email="a@b.de", tracking_id="T")
    for status in (200, 202, 204):
        assert api.DELETE_SESSION.parse(delete, ApiResponse(status, {}, b"")) is None
    packs = api.LANGUAGE_PACKS.request(product_key="api.rest")
    listed = api.LANGUAGE_PACKS.parse(packs, ApiResponse(200, {}, b'{"data": [{"id": "x"}]}'))
    assert [p.id for p in listed] == ["x"]
