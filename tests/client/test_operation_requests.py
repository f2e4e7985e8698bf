"""The exact requests of issue 11's client methods (method, path, query, headers, body)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cryptshare_async import (
    ApiRequest,
    ApiResponse,
    CryptshareClient,
    LogEntry,
    LogLevel,
    RetryPolicy,
)
from cryptshare_async.testing import MockTransport, json_response

CID = "C" * 50
DIGEST = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def handler(request: ApiRequest, _: Mapping[str, str]) -> ApiResponse:
    path = request.path
    if path.endswith(("/zip", "/eml")):
        return ApiResponse(200, {}, b"bundle")
    if path.endswith("/checksums"):
        return ApiResponse(200, {"Content-Type": "text/csv"}, f"a.txt,3,{DIGEST},SHA-256".encode())
    if path.endswith("texts/m.json"):
        return ApiResponse(200, {}, b"{}")
    if path == "/logs":
        return ApiResponse(201, {}, b"")
    if path.endswith("/language-packs"):
        return json_response({"data": []})
    if path.startswith("/transfers/"):
        return json_response({"data": {"checksumAlgorithm": "SHA-256", "totalSize": 6}})
    return json_response({"data": {}})


Call = Callable[[CryptshareClient, Path], Awaitable[Any]]
CASES: list[tuple[str, Call, str, str, tuple[tuple[str, str], ...], dict[str, str], Any]] = [
    (
        "zip",
        lambda c, d: c.recipient_transfer("R1", password="p w").download_zip(
            d, include_checksum_file=True, files=["F1", "F2"]
        ),
        "GET",
        "/transfers/R1/zip",
        (
            ("include-checksum-file", "true"),
            ("customized-files-ids", "F1,F2"),
            ("is-customized-files-ids-include", "true"),
        ),
        {"X-CS-Password": "p%20w"},
        None,
    ),
    (
        "eml",
        lambda c, d: c.recipient_transfer("R1", password="p").download_eml(d, threshold_mb=5),
        "GET",
        "/transfers/R1/eml",
        (("threshold", "5"),),
        {"X-CS-Password": "p"},
        None,
    ),
    (
        "checksums",
        lambda c, d: c.recipient_transfer("R1", password=None).checksums(),
        "GET",
        "/transfers/R1/checksums",
        (),
        {},
        None,
    ),
    (
        "terms",
        lambda c, d: c.terms_of_use(),
        "GET",
        "/products/api.rest/legal/terms-of-use",
        (),
        {},
        None,
    ),
    (
        "imprint",
        lambda c, d: c.imprint(language="de"),
        "GET",
        "/products/api.rest/legal/imprint",
        (),
        {"Accept-Language": "de"},
        None,
    ),
    (
        "packs",
        lambda c, d: c.language_packs(major_version=2),
        "GET",
        "/products/api.rest/language-packs",
        (("major-version", "2"),),
        {},
        None,
    ),
    (
        "pack file",
        lambda c, d: c.language_pack_file("en-US_2", "texts/m.json"),
        "GET",
        "/products/api.rest/language-packs/en-US_2/texts/m.json",
        (),
        {},
        None,
    ),
    (
        "cors",
        lambda c, d: c.cors_status("https://app.example.com"),
        "GET",
        "/products/api.rest/cors",
        (),
        {"Origin": "https://app.example.com"},
        None,
    ),
    (
        "logs",
        lambda c, d: c.send_log(
            [LogEntry(LogLevel.ERROR, "m", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))]
        ),
        "POST",
        "/logs",
        (),
        {},
        [{"level": "error", "message": "m", "timestamp": "2026-01-02T03:04:05+00:00"}],
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "query", "headers", "body"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_exact_request(
    tmp_path: Path,
    call: Call,
    method: str,
    path: str,
    query: tuple[tuple[str, str], ...],
    headers: dict[str, str],
    body: Any,
) -> None:
    mock = MockTransport(handler)
    async with CryptshareClient(
        "https://share.example.com",
        client_id=CID,
        transport=mock,
        retry=RetryPolicy(max_attempts=1),
    ) as client:
        await call(client, tmp_path)
    sent = mock.calls[-1]
    assert (sent.request.method, sent.request.path, sent.request.query) == (method, path, query)
    for name, value in headers.items():
        assert sent.headers[name] == value
    assert "X-CS-VerificationToken" not in sent.headers
    assert sent.request.json == body
    assert all("password" not in key for key, _ in sent.request.query)
