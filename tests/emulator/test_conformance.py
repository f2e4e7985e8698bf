"""The emulator's responses validate against the vendor's openapi-1.8.json (openapi-core).

Every one of the schema's operations is exercised (the test asserts it), with success and
documented errors. JSON answers are validated whole; streamed downloads (file, ZIP, EML,
checksums, language-pack file), whose schema is an untyped stub, are checked for status and
a declared media type, and their content by the tests of each endpoint. Endpoints newer
than 1.8 (status, revocation, sent/received polling) are not in the schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from cryptshare_async.testing import Emulator

from .conftest import RECIPIENT, SENDER, Api

SCHEMA = Path(__file__).with_name("openapi-1.8.json")


_METHODS = ("get", "put", "post", "delete", "patch")
#: Answers whose body the schema describes only as a stream.
_STREAMED = {"application/zip", "application/octet-stream", "text/csv", "*/*"}


def _pattern(template: str) -> str:
    """A regex for a schema path: ``{var}`` and ``*`` are one segment, ``**`` the rest."""
    out = []
    for part in re.split(r"(\{[^}]+\}|\*\*|\*)", template):
        if part == "**":
            out.append(".+")
        elif part == "*" or part.startswith("{"):
            out.append("[^/]+")
        else:
            out.append(re.escape(part))
    return "^/api" + "".join(out) + "$"


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    spec = json.loads(SCHEMA.read_text())
    return {
        (method, template): operation
        for template, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method in _METHODS
    }


def _match(request: _Request) -> tuple[str, str]:
    """The schema operation a request is for; the most specific template wins."""
    found = [
        (method, template)
        for method, template in _operations()
        if method == request.method and re.match(_pattern(template), request.path)
    ]
    if not found:
        raise AssertionError(f"{request.method} {request.path} is not in the schema")
    return min(found, key=lambda op: (op[1].count("{") + op[1].count("*"), -len(op[1])))


def _operation(request: _Request) -> dict[str, Any]:
    return _operations()[_match(request)]


#: Session fields the schema's text says may be null ("all properties will be present";
#: confidentialMessageFileId "may be null") while their types are not nullable: the
#: emulator sends them as null, so the validator is told they may be.
NULLABLE_SESSION_FIELDS = ("classificationId", "confidentialMessageFileId")


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    spec = json.loads(SCHEMA.read_text())
    for schema in ("TransferSession", "TransferSessionOfobject"):
        properties = spec["components"]["schemas"][schema]["properties"]
        for name in NULLABLE_SESSION_FIELDS:
            properties[name]["nullable"] = True
    return OpenAPI.from_dict(spec)


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    parameters: RequestParameters = field(default_factory=RequestParameters)
    body: bytes | None = None
    content_type: str = "application/json"


@dataclass
class _Response:
    status_code: int
    data: bytes
    headers: Headers
    content_type: str


@dataclass
class Recorder:
    """Sends raw requests and keeps (request, response) pairs for validation."""

    emu: Emulator
    http: aiohttp.ClientSession
    exchanges: list[tuple[_Request, _Response]] = field(default_factory=list)

    async def __call__(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        json: Any = None,
        data: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any, Any]:
        async with self.http.request(
            method, self.emu.url + path, headers=headers, json=json, data=data, params=params
        ) as response:
            raw = await response.read()
            request = _Request(
                host_url=self.emu.url,
                path=path,
                method=method.lower(),
                parameters=RequestParameters(
                    query=ImmutableMultiDict(params or {}), header=Headers(headers)
                ),
            )
            self.exchanges.append(
                (
                    request,
                    _Response(
                        response.status, raw, Headers(dict(response.headers)), response.content_type
                    ),
                )
            )
            body = await response.json() if response.content_type == "application/json" else raw
            return response.status, body, response.headers

    def covered(self) -> Iterator[tuple[_Request, _Response]]:
        yield from self.exchanges


async def test_responses_conform_to_openapi_1_8(
    cryptshare_emulator: Emulator, http: aiohttp.ClientSession, openapi: OpenAPI
) -> None:
    emu, api = cryptshare_emulator, Api(cryptshare_emulator, http)
    call = Recorder(emu, http)
    base = api.headers()
    user = f"/api/users/{SENDER}"
    await call("GET", "/api/clients", headers=base)
    await call("GET", "/api/clients", headers={**base, "X-CS-MajorApiVersion": "2"})  # 404/2004
    await call("GET", "/api/clients", headers={"X-CS-MajorApiVersion": "1"})  # 400/1002
    await call("GET", "/api/password", headers=base)
    await call("POST", "/api/password", headers=base, json={"password": "short"})
    await call("GET", "/api/password/requirements", headers=base)
    await call("GET", f"{user}/verification", headers=base)
    await call("POST", f"{user}/verification/code/email", headers=base)
    for _ in range(emu.config.verification_code_limit + 1):
        await call(
            "POST", "/api/users/carol@example.com/verification/code/email", headers=base
        )  # last: 429
    _, body, _ = await call("POST", f"{user}/verification/token", headers=base, json={})
    auth = {**base, "X-CS-VerificationToken": body["data"]["token"]}
    await call("GET", f"{user}/verification", headers=auth)
    await call("POST", f"{user}/transfer-policy", headers=auth, json={"recipients": [RECIPIENT]})
    await call("POST", f"{user}/transfer-sessions", headers=base, json={})  # 403/3002
    _, _, headers = await call(
        "POST",
        f"{user}/transfer-sessions",
        headers=auth,
        json={"recipients": {"to": [{"mail": RECIPIENT}]}},
    )
    session = f"{user}/transfer-sessions/{headers['Location'].rsplit('/', 1)[1]}"
    await call("POST", session, headers=auth)  # 409/2001: no file
    _, body, _ = await call(
        "POST", f"{session}/files", headers=auth, json={"fileName": "a.txt", "size": 3}
    )
    file_id = body["data"]["fileId"]
    await call(
        "PUT",
        f"{session}/files/{file_id}/content",
        headers={**auth, "Content-Type": "application/octet-stream"},
        data=b"abc",
    )
    _, body, _ = await call(
        "POST", f"{session}/files", headers=auth, json={"fileName": "b.txt", "size": 1}
    )
    await call("DELETE", f"{session}/files/{body['data']['fileId']}", headers=auth)
    await call(
        "PATCH", session, headers=auth, json={"showFileNames": False, "classificationId": "x"}
    )
    await call(
        "PATCH", session, headers=auth, json={"expirationDate": "2001-01-01T00:00:00+00:00"}
    )  # 409
    await call("GET", session, headers=auth)
    _, _, headers = await call("POST", session, headers=auth)
    tracking_id = headers["Location"].rsplit("/", 1)[1]
    await emu.wait_processed(tracking_id)
    await call("GET", f"{user}/transfers/{tracking_id}", headers=auth)
    await call("GET", f"{user}/transfers", headers=auth, params={"page": "1", "page-size": "5"})
    await call("GET", f"{user}/transfers", headers=auth, params={"page-size": "500"})  # 400/1004
    transfer_id = emu.recipient_transfer_ids(tracking_id)[RECIPIENT]
    password = {"X-CS-Password": emu.transfer_password(tracking_id) or ""}
    recipient = f"/api/transfers/{transfer_id}"
    await call("GET", recipient, headers={**base, **password})
    await call("GET", recipient, headers={**base, "X-CS-Password": "wrong"})  # 401
    _, files, _ = await call("GET", f"{recipient}/files", headers={**base, **password})
    await call("GET", f"{recipient}/files/{files['data'][0]['id']}", headers={**base, **password})
    await call("GET", f"{recipient}/checksums", headers={**base, **password})
    await call(
        "GET",
        f"{recipient}/zip",
        headers={**base, **password},
        params={"include-checksum-file": "true"},
    )
    await call("GET", f"{recipient}/eml", headers={**base, **password})  # 404: no message
    await call("GET", "/api/transfers/nothere123/zip", headers={**base, **password})  # 404
    message_transfer = await _transfer_with_message(api, auth["X-CS-VerificationToken"])
    message_id = emu.recipient_transfer_ids(message_transfer)[RECIPIENT]
    message_password = {"X-CS-Password": emu.transfer_password(message_transfer) or ""}
    await call("GET", f"/api/transfers/{message_id}/eml", headers={**base, **message_password})
    product = "/api/products/api.rest"
    await call("GET", f"{product}/legal/terms-of-use", headers=base)
    await call("GET", f"{product}/legal/imprint", headers={**base, "Accept-Language": "de"})
    await call("GET", "/api/products/other/legal/imprint", headers=base)  # 400/1005
    await call("GET", f"{product}/language-packs", headers=base, params={"major-version": "2"})
    await call("GET", f"{product}/language-packs/de-DE_2", headers=base)
    await call("GET", f"{product}/language-packs/xx-XX_9", headers=base)  # 404/2003
    await call("GET", f"{product}/language-packs/de-DE_2/texts/messages.json", headers=base)
    await call("GET", f"{product}/cors", headers={**base, "Origin": "https://app.example"})
    await call("GET", f"{product}/cors", headers=base)  # 400/1002: no Origin
    await call("GET", f"{product}/logging", headers=base)
    await call(
        "POST",
        "/api/logs",
        headers=base,
        json=[{"level": "info", "message": "hello", "timestamp": "2024-01-01T00:00:00+00:00"}],
    )
    await call("POST", "/api/logs", headers=base, json=[{"level": "loud"}])  # 400/1004
    _, _, headers = await call(
        "POST",
        f"{user}/transfer-sessions",
        headers=auth,
        json={"recipients": {"to": [{"mail": RECIPIENT}]}},
    )
    await call("DELETE", headers["Location"].removeprefix(emu.url), headers=auth)

    statuses = set()
    exercised = set()
    for request, response in call.covered():
        statuses.add(response.status_code)
        exercised.add(_match(request))
        operation = _operation(request)
        assert str(response.status_code) in operation["responses"], (request, response)
        if response.status_code == 204:
            # The schema lists a ResponseOfVoid body for 204, which HTTP forbids: only the
            # status is checked against the operation.
            assert response.data == b""
            continue
        declared = operation["responses"][str(response.status_code)].get("content", {})
        if response.status_code < 300 and set(declared) <= _STREAMED and declared:
            assert response.content_type in declared or "*/*" in declared, response
            assert response.data  # the content itself is checked by each endpoint's tests
            continue
        openapi.validate_response(request, response)  # raises on any mismatch
    assert {200, 201, 204, 400, 401, 403, 404, 409, 429} <= statuses
    assert exercised == set(_operations()), set(_operations()) - exercised


async def _transfer_with_message(api: Api, token: str) -> str:
    """A finished transfer with a confidential message and one attachment."""
    tracking_id = await api.session(token)
    message = await api.add_file(token, tracking_id, "message.html", b"<p>secret</p>")
    await api.add_file(token, tracking_id, "c.txt", b"see")
    status, body, _ = await api.call(
        "PATCH",
        f"/api/users/{SENDER}/transfer-sessions/{tracking_id}",
        token=token,
        json={"confidentialMessageFileId": message},
    )
    assert status == 200, body
    await api.finalize(token, tracking_id)
    await api.emu.wait_processed(tracking_id)
    return tracking_id
