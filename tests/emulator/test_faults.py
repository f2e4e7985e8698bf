"""Fault injection: status, nth match, times, seeded probability, delay, drop, 429."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig, FaultRule

from .conftest import SENDER, Api


async def _statuses(api: Api, count: int) -> list[int]:
    return [(await api.call("GET", "/api/clients"))[0] for _ in range(count)]


async def test_status_fault_with_spec_error_body(api: Api) -> None:
    api.emu.add_fault(FaultRule(method="GET", path="/api/clients", status=503))
    status, body, _ = await api.call("GET", "/api/clients")
    assert (status, body) == (503, {"errorCode": 5000, "errorMessage": "Unhandled server error."})
    api.emu.clear_faults()
    assert await _statuses(api, 1) == [200]


async def test_nth_match_and_times(api: Api) -> None:
    api.emu.add_fault(FaultRule(path="*/clients", status=500, nth=2))
    assert await _statuses(api, 4) == [200, 500, 200, 200]
    api.emu.clear_faults()
    api.emu.add_fault(FaultRule(path="/api/cl*", status=502, times=2))
    assert await _statuses(api, 3) == [502, 502, 200]
    assert len(api.emu.fired_faults) == 3


async def test_regex_and_method_matching(api: Api) -> None:
    api.emu.add_fault(
        FaultRule(
            method="POST", path=r"/api/users/[^/]+/verification/token", regex=True, status=500
        )
    )
    assert await _statuses(api, 1) == [200]
    status, _, _ = await api.call("POST", f"/api/users/{SENDER}/verification/token", json={})
    assert status == 500


async def test_too_many_requests_with_retry_after(api: Api) -> None:
    api.emu.add_fault(FaultRule(path="*", status=429, retry_after=2))
    status, body, headers = await api.call("GET", "/api/clients")
    assert (status, body["errorCode"], headers["Retry-After"]) == (429, 2007, "2")


async def test_delay_then_pass_through(api: Api) -> None:
    api.emu.add_fault(FaultRule(path="*", delay=0.01))
    assert await _statuses(api, 1) == [200]
    assert len(api.emu.fired_faults) == 1


async def test_probability_is_reproducible_by_seed(http: aiohttp.ClientSession) -> None:
    patterns = []
    for _ in range(2):
        async with Emulator(EmulatorConfig(seed=1234)) as emu:
            assert emu.seed == 1234
            emu.add_fault(FaultRule(path="*", status=500, probability=0.5))
            patterns.append(await _statuses(Api(emu, http), 20))
    assert patterns[0] == patterns[1]
    assert set(patterns[0]) == {200, 500}


async def test_drop_connection_after_body_bytes(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    base = f"/api/users/{SENDER}/transfer-sessions/{tracking_id}/files"
    _, body, _ = await api.call(
        "POST", base, token=token, json={"fileName": "a.bin", "size": 4 << 20}
    )
    file_id = body["data"]["fileId"]
    # No ``times`` limit: aiohttp's client retries an idempotent PUT once on a reset
    # keep-alive connection, and that retry must be dropped as well.
    api.emu.add_fault(FaultRule(method="PUT", path="*/content", drop_after_bytes=1000))
    with pytest.raises(aiohttp.ClientError):
        await api.call(
            "PUT",
            f"{base}/{file_id}/content",
            token=token,
            data=io.BytesIO(b"\0" * (4 << 20)),
            headers={"Content-Type": "application/octet-stream"},
        )
    _, body, _ = await api.call(
        "GET", f"/api/users/{SENDER}/transfer-sessions/{tracking_id}", token=token
    )
    assert body["data"]["files"][0]["state"] == "INITIALIZED"
    assert list((api.emu.storage_dir / tracking_id).iterdir()) == []
    api.emu.clear_faults()
    await api.add_file(token, tracking_id, "b.bin", b"retry works")


async def test_fault_rules_validated() -> None:
    with pytest.raises(ValueError, match="probability"):
        FaultRule(probability=2)
    with pytest.raises(ValueError, match="nth"):
        FaultRule(nth=0)
    with pytest.raises(ValueError, match="status"):
        FaultRule(status=200)


async def test_control_endpoints_for_faults(api: Api) -> None:
    url = api.emu.url + "/_emulator/faults"
    async with api.http.post(url, json={"path": "/api/clients", "status": 500}) as response:
        assert response.status == 201
    async with api.http.get(url) as response:
        assert (await response.json())["rules"][0]["status"] == 500
    assert await _statuses(api, 1) == [500]
    async with api.http.delete(url) as response:
        assert response.status == 204
    assert await _statuses(api, 1) == [200]
    async with api.http.post(url, json={"nope": 1}) as response:
        assert (await response.json())["errorCode"] == 1004


def test_failed_test_reports_the_seed(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        """
        async def test_fails(cryptshare_emulator):
            assert cryptshare_emulator.seed == 99
            assert False
        """
    )
    result = pytester.runpytest_inprocess("--cryptshare-seed=99", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*fault-injection seed: 99*"])


async def _raw_exchange(api: Api, request: bytes) -> bytes:
    """Everything the emulator sends back on one connection until it closes it."""
    host, port = api.emu.url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        async with asyncio.timeout(10):
            return await reader.read()
    finally:
        writer.close()


def _get_clients(api: Api) -> bytes:
    headers = "".join(f"{k}: {v}\r\n" for k, v in api.headers().items())
    return f"GET /api/clients HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode()


async def test_lose_answer_drop_sends_no_byte(api: Api) -> None:
    api.emu.add_fault(FaultRule(path="/api/clients", lose_answer="drop"))
    assert await _raw_exchange(api, _get_clients(api)) == b""


async def test_lose_answer_truncate_sends_the_full_length_and_half_the_body(api: Api) -> None:
    api.emu.add_fault(FaultRule(path="/api/clients", lose_answer="truncate"))
    answer = await _raw_exchange(api, _get_clients(api))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
    (length,) = [int(line.split(b":")[1]) for line in lengths]
    assert 0 < len(body) < length
    assert body.startswith(b'{"data":')


async def test_lose_answer_bad_gateway_sends_an_html_page(api: Api) -> None:
    api.emu.add_fault(FaultRule(path="/api/clients", lose_answer="bad_gateway"))
    status, body, headers = await api.call("GET", "/api/clients")
    assert status == 502
    assert str(headers["Content-Type"]).startswith("text/html")
    assert b"502 Bad Gateway" in body


async def test_lose_answer_acts_even_when_the_answer_is_an_error(api: Api) -> None:
    # The handler's own error answer is lost the same way (the emulator still acted).
    api.emu.add_fault(FaultRule(method="POST", path="/api/password", lose_answer="bad_gateway"))
    status, _, _ = await api.call("POST", "/api/password", json={"password": 5})
    assert status == 502


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": "(", "regex": True}, "regular expression"),
        ({"lose_answer": "later"}, "lose_answer"),
        ({"lose_answer": "drop", "status": 503}, "cannot be combined"),
        ({"method": None}, "method"),
        ({"delay": float("nan")}, "delay"),
        ({"delay": 1e6}, "delay"),
    ],
)
def test_fault_rules_are_checked_in_python_too(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultRule(**kwargs)
