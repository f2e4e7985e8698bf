"""A server that echoes the request's secrets back (in an errorMessage, an HTML error page,
a status line, a header, a model field, a non-JSON body) must not get them into the
exception chain: every text quoted from an answer is scrubbed of the secrets its request
carried (``ApiResponse.secrets``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from urllib.parse import unquote

import pytest

from .conftest import Connect
from .server import Reply, Seen, head
from .test_matrix import OPERATIONS, READS_BODY, run_case

JSON = {"Content-Type": "application/json"}


def echoed(seen: Seen) -> str:
    """The secrets this request carried, as the server could echo them."""
    values = [seen.headers.get(h, "") for h in ("x-cs-clientid", "x-cs-verificationtoken")]
    password = seen.headers.get("x-cs-password")
    if password:
        values += [password, unquote(password)]
    return " ".join(v for v in values if v)


def echo(make: Callable[[str], bytes]) -> Reply:
    async def reply(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(make(echoed(seen)))
        await writer.drain()

    return reply


def _json(status: str, document: object) -> bytes:
    body = json.dumps(document).encode()
    return head(status, {**JSON, "Content-Length": str(len(body))}) + body


def _text(status: str, text: str, kind: str) -> bytes:
    body = text.encode()
    return head(status, {"Content-Type": kind, "Content-Length": str(len(body))}) + body


ECHOING: dict[str, Reply] = {
    "error-message": echo(lambda e: _json("403 Forbidden", {"errorCode": 3002, "errorMessage": e})),
    "html-page": echo(lambda e: _text("502 Bad Gateway", f"<html>{e}</html>", "text/html")),
    "status-line": echo(lambda e: f"HTTP/1.1 2x0 {e}\r\n\r\n".encode()),
    "header-echo": echo(
        lambda e: head("500 Oops", {"X-Echo": e.replace(" ", "-"), "Content-Length": "0"})
    ),
}
ECHOING_BODY: dict[str, Reply] = {
    "model-field": echo(
        # A field each operation's model reads, of the wrong type: the parse error names it.
        lambda e: _json(
            "200 OK", {"data": {"verified": e, "checksumAlgorithm": [e], "status": e}}
        )
    ),
    "non-json-200": echo(lambda e: _text("200 OK", e, "text/plain")),
}  # fmt: skip


@pytest.mark.parametrize("case", ECHOING)
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_echoed_secrets(
    connect: Connect, request: pytest.FixtureRequest, operation: str, case: str
) -> None:
    await run_case(connect, operation, ECHOING[case], request)


@pytest.mark.parametrize("case", ECHOING_BODY)
@pytest.mark.parametrize("operation", READS_BODY)
async def test_echoed_secrets_in_bodies(
    connect: Connect, request: pytest.FixtureRequest, operation: str, case: str
) -> None:
    await run_case(connect, operation, ECHOING_BODY[case], request)
