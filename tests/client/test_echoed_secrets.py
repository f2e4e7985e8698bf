"""Whatever transport carries it, an answer that echoes the request's secrets (headers
and the secret fields of its JSON body: a password to validate, a verification code) never
gets them into an exception: the pipeline hands every answer its request's secrets."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from urllib.parse import unquote

import pytest

from cryptshare_async import ApiRequest, ApiResponse, CryptshareClient, CryptshareError, RetryPolicy
from cryptshare_async._models import TransferFile
from cryptshare_async._tokens import StoredToken
from cryptshare_async.testing import MockTransport
from tests.hostile.checks import chain, texts

CLIENT_ID = "EchoedClientId" + "K4" * 20
TOKEN = "EchoedToken" + "Z8" * 12
PASSWORD = "Tr4nsfer pw €&?"
CHECKED = "Ch3cked-Password-42"
CODE = "Code-7yhG5t"
SECRETS = (CLIENT_ID, TOKEN, PASSWORD, CHECKED, CODE)
SENDER = "alice@example.com"


def echoed(request: ApiRequest, headers: Mapping[str, str]) -> str:
    """Every secret the request carried, as a server could echo it."""
    values = [v for k, v in headers.items() if k.lower().startswith("x-cs-") and len(v) > 8]
    values += [unquote(v) for v in values]
    if isinstance(request.json, dict):
        values += [v for v in request.json.values() if isinstance(v, str)]
    return " ".join(values)


def answer(kind: str) -> Callable[[ApiRequest, Mapping[str, str]], ApiResponse]:
    def handler(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        e = echoed(request, headers)
        if kind == "error-message":
            document = {"errorCode": 1004, "errorMessage": e}
            return ApiResponse(400, {}, json.dumps(document).encode())
        if kind == "html-page":
            return ApiResponse(502, {"Content-Type": "text/html"}, f"<h1>{e}</h1>".encode())
        if kind == "non-json-200":
            return ApiResponse(200, {}, e.encode())
        fields = ("valid", "password", "token", "status", "verified", "checksumAlgorithm")
        document = {"data": {name: [e] for name in fields}}
        return ApiResponse(200, {}, json.dumps(document).encode())

    return handler


Operation = Callable[[CryptshareClient, Path], Awaitable[object]]


async def validate(client: CryptshareClient, folder: Path) -> object:
    return await client.validate_password(CHECKED)


async def verify(client: CryptshareClient, folder: Path) -> object:
    return await client.sender(SENDER).verify_with_code(CODE)


async def generate(client: CryptshareClient, folder: Path) -> object:
    return await client.generate_password()


async def status(client: CryptshareClient, folder: Path) -> object:
    return await client.sender(SENDER).transfer("20240522-065711-H8UoUSI6").status()


async def files(client: CryptshareClient, folder: Path) -> object:
    return await client.recipient_transfer("R1", password=PASSWORD).files()


async def download(client: CryptshareClient, folder: Path) -> object:
    file = TransferFile(id="F1", file_name="a.bin", size=3)
    return await client.recipient_transfer("R1", password=PASSWORD).download(file, folder)


OPERATIONS: dict[str, Operation] = {
    "validate-password": validate,
    "verify-with-code": verify,
    "generate-password": generate,
    "transfer-status": status,
    "recipient-files": files,
    "download": download,
}


@pytest.mark.parametrize("kind", ["error-message", "html-page", "non-json-200", "model-field"])
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_echoed_secrets_never_reach_an_exception(
    operation: str, kind: str, tmp_path: Path
) -> None:
    transport = MockTransport(answer(kind))
    retry = RetryPolicy(max_attempts=2, backoff_base=0, backoff_max=0)
    client = CryptshareClient(
        "https://share.example.com", client_id=CLIENT_ID, transport=transport, retry=retry
    )
    async with client:
        await client.tokens.save(client.token_key(SENDER), StoredToken(TOKEN))
        with pytest.raises(CryptshareError) as caught:
            await OPERATIONS[operation](client, tmp_path)
    assert transport.calls  # the server was asked, and answered with the echo
    shown = [text for link in chain(caught.value) for text in texts(link)]
    for secret in SECRETS:
        assert not any(secret in text for text in shown), (secret, str(caught.value))


def listing(echo: str, *, size: int, content: bytes, algorithm: str = "SHA-256") -> MockTransport:
    """A recipient transfer whose file name, id-less label, checksum and algorithm the
    server fills with ``echo``; the file's bytes are ``content``."""

    def handler(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        if request.path == "/transfers/R1":
            document: object = {"data": {"checksumAlgorithm": algorithm, "totalSize": size}}
        elif request.path == "/transfers/R1/files":
            entry = {"id": "F1", "fileName": f"{echo}.txt", "size": size, "checksum": echo}
            document = {"data": [entry]}
        else:
            return ApiResponse(200, {"Content-Length": str(len(content))}, content)
        return ApiResponse(200, {}, json.dumps(document).encode())

    return MockTransport(handler)


@pytest.mark.parametrize("echo", [PASSWORD, CLIENT_ID, "Tr4nsfer%20pw%20%E2%82%AC%26%3F"])
@pytest.mark.parametrize(
    ("case", "verify"),
    [
        ({"size": 10, "content": b"abc"}, False),  # fewer bytes than announced
        ({"size": 2, "content": b"abc"}, False),  # Content-Length other than announced
        ({"size": 3, "content": b"abc"}, True),  # checksum mismatch
        ({"size": 3, "content": b"abc", "algorithm": "{echo}"}, True),  # unknown algorithm
    ],
    ids=["short", "length", "checksum", "algorithm"],
)
async def test_download_errors_quote_no_echoed_secret(
    echo: str, case: dict[str, object], verify: bool, tmp_path: Path
) -> None:
    arguments = dict(case)
    if arguments.get("algorithm") == "{echo}":
        arguments["algorithm"] = echo
    transport = listing(echo, **arguments)  # type: ignore[arg-type]
    client = CryptshareClient("https://share.example.com", client_id=CLIENT_ID, transport=transport)
    async with client:
        incoming = client.recipient_transfer("R1", password=PASSWORD)
        (entry,) = await incoming.files()
        with pytest.raises(CryptshareError) as caught:
            await incoming.download(entry, tmp_path, verify=verify)
    shown = [text for link in chain(caught.value) for text in texts(link)]
    for secret in (CLIENT_ID, PASSWORD, "Tr4nsfer%20pw"):
        assert not any(secret in text for text in shown), (secret, str(caught.value))
    assert "***" in str(caught.value)


def status_of(state: str, echo: str) -> dict[str, object]:
    """A transfer status in ``state`` whose server-written texts are ``echo``."""
    return {
        "data": {
            "transfer": {"files": [{"id": "F1", "fileName": f"{echo}.pdf"}]},
            "status": {
                "state": state,
                "files": [{"id": "F1", "removed": True, "removalCause": f"virus {echo}"}],
                "recipients": [{"id": "R1", "mail": f"{echo}@example.org"}],
            },
        }
    }


@pytest.mark.parametrize("state", ["FAILED", "{echo}", "PROCESSING"])
async def test_waiting_errors_and_their_statuses_hold_no_echoed_secret(state: str) -> None:
    def handler(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        e = echoed(request, headers)
        document = status_of(state.replace("{echo}", e), e)
        return ApiResponse(200, {}, json.dumps(document).encode())

    transport = MockTransport(handler)
    client = CryptshareClient("https://share.example.com", client_id=CLIENT_ID, transport=transport)
    async with client:
        await client.tokens.save(client.token_key(SENDER), StoredToken(TOKEN))
        transfer = client.sender(SENDER).transfer("20240522-065711-H8UoUSI6")
        with pytest.raises(CryptshareError) as caught:
            await transfer.wait_until_active(timeout=0.05, interval=0.01, max_interval=0.01)
    error = caught.value
    status = getattr(error, "status", None) or getattr(error, "last_status", None)
    assert status is not None and status.removed_files  # the status is kept, scrubbed
    shown = [text for link in chain(error) for text in texts(link)]
    shown += [repr(status), repr(status.status.raw)]
    for secret in (CLIENT_ID, TOKEN):
        assert not any(secret in text for text in shown), (secret, str(error))


async def test_an_upload_quotes_no_secret_the_session_state_echoes() -> None:
    def handler(request: ApiRequest, headers: Mapping[str, str]) -> ApiResponse:
        if request.method != "GET":
            return ApiResponse(500, {}, b"")  # never reached: the algorithm is refused first
        e = echoed(request, headers)
        document = {"data": {"fileChecksumAlgorithm": e, "files": []}}
        return ApiResponse(200, {}, json.dumps(document).encode())

    transport = MockTransport(handler)
    client = CryptshareClient("https://share.example.com", client_id=CLIENT_ID, transport=transport)
    async with client:
        await client.tokens.save(client.token_key(SENDER), StoredToken(TOKEN))
        session = client.sender(SENDER).resume_session("20240522-065711-H8UoUSI6")
        with pytest.raises(CryptshareError) as caught:
            await session.upload(b"abc", file_name="a.txt")
    assert [call.request.method for call in transport.calls] == ["GET"]
    shown = [text for link in chain(caught.value) for text in texts(link)]
    for secret in (CLIENT_ID, TOKEN):
        assert not any(secret in text for text in shown), (secret, str(caught.value))
