"""Bad input to the control endpoints and oversized or deeply nested JSON to any route:
the API's error format (400 or 413 with errorCode 1004), never a 500, and nothing done."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cryptshare_async.testing import _routes_control
from cryptshare_async.testing._http import MAX_JSON_BYTES, MAX_JSON_DEPTH

from .conftest import SENDER, Api


async def control(
    api: Api, method: str, path: str, *, json: Any = None, data: Any = None
) -> tuple[int, Any]:
    """(status, JSON body) of a control request; the body must be the API's format."""
    async with api.http.request(
        method, api.emu.url + "/_emulator" + path, json=json, data=data
    ) as response:
        if response.status < 300:
            body = await response.json() if response.content_length != 0 else None
            return response.status, body
        assert response.content_type == "application/json"
        body = await response.json()
        assert set(body) == {"errorCode", "errorMessage"}, body
        return response.status, body


@pytest.fixture(autouse=True)
def no_unhandled_errors(caplog: pytest.LogCaptureFixture) -> Any:
    """No handler failed: the emulator logs a traceback at ERROR for those."""
    with caplog.at_level(logging.ERROR, logger="cryptshare_async.testing"):
        yield
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def nested(depth: int) -> bytes:
    """``{"a": [[[...]]]}`` with objects and arrays ``depth`` deep in all."""
    return b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


BAD_RULES: list[Any] = [
    {"path": "(", "regex": True},
    {"path": "[a-", "regex": True},
    {"method": 5},
    {"method": "GET /x"},
    {"path": 5},
    {"path": ""},
    {"path": "x" * 5000},
    {"regex": "yes"},
    {"status": "500"},
    {"status": True},
    {"status": 200},
    {"error_code": 5},
    {"delay": "1"},
    {"delay": -1},
    {"delay": 10**9},
    {"retry_after": [1]},
    {"probability": 2},
    {"probability": None},
    {"nth": 0},
    {"nth": 1.5},
    {"times": -1},
    {"drop_after_bytes": "all"},
    {"lose_answer": "explode"},
    {"lose_answer": 1},
    {"lose_answer": "drop", "status": 500},
    {"lose_answer": "truncate", "drop_after_bytes": 0},
    {"nope": 1},
    {"path": {"nested": True}},
]


@pytest.mark.parametrize("rule", BAD_RULES)
async def test_a_bad_fault_rule_is_refused_and_not_added(api: Api, rule: Any) -> None:
    status, body = await control(api, "POST", "/faults", json=rule)
    assert (status, body["errorCode"]) == (400, 1004)
    assert "fault rule" in body["errorMessage"]
    assert api.emu.faults == []
    assert (await api.call("GET", "/api/clients"))[0] == 200


@pytest.mark.parametrize(
    "raw", [b"[]", b'"rule"', b"1", b"{", b'{"delay": NaN}', b'{"delay": Infinity}']
)
async def test_a_fault_rule_that_is_not_a_json_object_is_refused(api: Api, raw: bytes) -> None:
    status, body = await control(api, "POST", "/faults", data=raw, json=None)
    assert (status, body["errorCode"]) == (400, 1004)
    assert api.emu.faults == []


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"sender": SENDER, "count": 10**9}, "count"),
        ({"sender": SENDER, "count": _routes_control.MAX_SEED_COUNT + 1}, "count"),
        ({"sender": SENDER, "count": -1}, "count"),
        ({"sender": SENDER, "count": "5"}, "count"),
        ({"sender": SENDER, "count": True}, "count"),
        ({"sender": SENDER, "count": 1.5}, "count"),
        ({"sender": SENDER}, "count"),
        ({"count": 1}, "sender"),
        ({"sender": "nobody", "count": 1}, "sender"),
        ({"sender": ["a@example.org"], "count": 1}, "sender"),
        ({"sender": SENDER, "count": 1, "recipients": "r@example.org"}, "recipients"),
        ({"sender": SENDER, "count": 1, "recipients": []}, "recipients"),
        ({"sender": SENDER, "count": 1, "recipients": [1]}, "recipients"),
        ({"sender": SENDER, "count": 1, "recipients": ["x@example.org"] * 101}, "recipients"),
        ({"sender": SENDER, "count": 1, "state": "SHINY"}, "state"),
        ({"sender": SENDER, "count": 1, "state": ["ACTIVE"]}, "state"),
        ({"sender": SENDER, "count": 1, "colour": "red"}, "colour"),
    ],
)
async def test_bad_seeds_are_refused_before_any_work(
    api: Api, seed: dict[str, Any], message: str
) -> None:
    status, body = await control(api, "POST", "/admin/seed-transfers", json=seed)
    assert (status, body["errorCode"]) == (400, 1004)
    assert message in body["errorMessage"]
    assert api.emu.store.transfers == {}


async def test_seeding_is_bounded_in_all(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_routes_control, "MAX_TRANSFERS", 2_500)
    status, body = await control(
        api, "POST", "/admin/seed-transfers", json={"sender": SENDER, "count": 2_400}
    )
    assert status == 201
    ids = body["trackingIds"]
    assert len(ids) == len(set(ids)) == 2_400  # several batches, in order, oldest first
    assert list(api.emu.store.transfers) == ids
    status, body = await control(
        api, "POST", "/admin/seed-transfers", json={"sender": SENDER, "count": 101}
    )
    assert (status, body["errorCode"]) == (400, 1004)
    assert "2500" in body["errorMessage"]
    assert len(api.emu.store.transfers) == 2_400


@pytest.mark.parametrize(
    "body",
    [
        {"addresses": "a@example.org"},
        {"addresses": [1]},
        {"addresses": ["not an address"]},
        {"addresses": ["a@example.org"] * (_routes_control.MAX_FAILING_ADDRESSES + 1)},
        {"addresses": [], "more": 1},
        {},
    ],
)
async def test_bad_notification_failures_are_refused(api: Api, body: dict[str, Any]) -> None:
    api.emu.fail_notifications("kept@example.org")
    status, answer = await control(api, "PUT", "/notification-failures", json=body)
    assert (status, answer["errorCode"]) == (400, 1004)
    assert api.emu.store.failing_addresses == {"kept@example.org"}


async def test_outbox_refuses_unknown_query_parameters(api: Api) -> None:
    async with api.http.get(api.emu.url + "/_emulator/outbox", params={"too": "x"}) as r:
        assert (r.status, (await r.json())["errorCode"]) == (400, 1004)


async def test_unknown_transfers_and_codes_are_404_in_the_api_format(api: Api) -> None:
    for method, path in [
        ("GET", "/admin/transfers/NOPE"),
        ("POST", "/admin/transfers/NOPE/delete"),
        ("POST", "/admin/transfers/NOPE/expire"),
        ("GET", f"/verification-code/{SENDER}"),
    ]:
        status, body = await control(api, method, path)
        assert (status, body["errorCode"]) == (404, 2003)


# ---------------------------------------------------------------- every JSON body


async def json_routes(api: Api) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, headers) of every route that reads a JSON body."""
    token = await api.token()
    tracking_id = await api.session(token)
    done = await api.send(token, {"a.txt": b"x"})
    user = f"/api/users/{SENDER}"
    session = f"{user}/transfer-sessions/{tracking_id}"
    return [
        ("POST", "/_emulator/faults", {}),
        ("POST", "/_emulator/admin/seed-transfers", {}),
        ("PUT", "/_emulator/notification-failures", {}),
        ("POST", f"{user}/verification/token", api.headers()),
        ("POST", "/api/password", api.headers()),
        ("POST", f"{user}/transfer-policy", api.headers(token)),
        ("POST", f"{user}/transfer-sessions", api.headers(token)),
        ("PATCH", session, api.headers(token)),
        ("POST", f"{session}/files", api.headers(token)),
        ("PATCH", f"{user}/transfers/{done}", api.headers(token)),
    ]


async def test_deeply_nested_json_is_400_on_every_route(api: Api) -> None:
    for method, path, headers in await json_routes(api):
        for depth in (MAX_JSON_DEPTH + 1, 5_000, 200_000):
            async with api.http.request(
                method,
                api.emu.url + path,
                data=nested(depth),
                headers={**headers, "Content-Type": "application/json"},
            ) as response:
                body = await response.json()
                assert (response.status, body["errorCode"]) == (400, 1004), (path, depth)
                assert "nested deeper" in body["errorMessage"]
    assert api.emu.faults == []


async def test_json_nested_up_to_the_limit_is_parsed(api: Api) -> None:
    rule = nested(MAX_JSON_DEPTH).replace(b'"a"', b'"path"')
    status, body = await control(api, "POST", "/faults", data=rule)
    assert (status, body["errorCode"]) == (400, 1004)
    assert "path must be a string" in body["errorMessage"]  # parsed, then refused as a rule


async def test_an_oversized_json_body_is_413_with_or_without_a_length(api: Api) -> None:
    big = b'{"path": "' + b"x" * MAX_JSON_BYTES + b'"}'

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 1 << 16):
            yield big[start : start + (1 << 16)]

    for method, path, headers in await json_routes(api):
        for data in (io.BytesIO(big), chunked()):
            async with api.http.request(
                method,
                api.emu.url + path,
                data=data,
                headers={**headers, "Content-Type": "application/json"},
            ) as response:
                body = await response.json()
                assert (response.status, body["errorCode"]) == (413, 1004), path
    # The connection that carried the refused body was closed, not reused mid-body.
    assert (await api.call("GET", "/api/clients"))[0] == 200
