"""The exact requests an upload makes (aioresponses, no server)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from cryptshare_async import CryptshareClient
from cryptshare_async._upload import BytesSource, ChecksumMode

BASE = "https://share.example.com"
CLIENT_ID = "A" * 60
SESSION = f"{BASE}/api/users/alice@example.com/transfer-sessions/20240522-065711-H8UoUSI6"
DATA = b"hello, world\n" * 1000


class _Sink:
    """Collects what a payload writes, as aiohttp's StreamWriter would send it."""

    def __init__(self) -> None:
        self.data = bytearray()

    async def write(self, chunk: bytes | memoryview) -> None:
        self.data += chunk


def _calls(mock: aioresponses, method: str, url: str) -> list[Any]:
    return mock.requests.get((method, URL(url)), [])


@pytest.mark.parametrize(
    ("mode", "checksum"),
    [(ChecksumMode.PRE_PASS, hashlib.sha256(DATA).hexdigest()), (ChecksumMode.STREAM, None)],
)
async def test_register_then_put(mode: ChecksumMode, checksum: str | None) -> None:
    received = _Sink()

    async def on_put(url: URL, **kwargs: Any) -> CallbackResult:
        await kwargs["data"].write(received)
        return CallbackResult(status=200)

    with aioresponses() as mock:
        mock.post(
            f"{BASE}/api/users/alice@example.com/verification/token",
            payload={"data": {"token": "T" * 40, "validUntil": "2099-01-01T00:00:00+00:00"}},
        )
        mock.get(SESSION, payload={"data": {"fileChecksumAlgorithm": "SHA256", "files": []}})
        mock.post(
            f"{SESSION}/files", status=201, payload={"data": {"fileId": "a58dFp1Tr7"}},
            headers={"Location": f"{SESSION}/files/a58dFp1Tr7"},
        )  # fmt: skip
        mock.put(f"{SESSION}/files/a58dFp1Tr7/content", callback=on_put)
        async with CryptshareClient(BASE, client_id=CLIENT_ID) as client:
            session = client.sender("alice@example.com").resume_session("20240522-065711-H8UoUSI6")
            uploaded = await session.upload(BytesSource(DATA, name="a.txt"), checksum=mode)

        (register,) = _calls(mock, "POST", f"{SESSION}/files")
        body = {"fileName": "a.txt", "size": len(DATA)}
        if checksum is not None:
            body["checksum"] = checksum
        assert json.loads(json.dumps(register.kwargs["json"])) == body
        assert register.kwargs["headers"]["X-CS-VerificationToken"] == "T" * 40
        (put,) = _calls(mock, "PUT", f"{SESSION}/files/a58dFp1Tr7/content")
        headers = put.kwargs["headers"]
        assert headers["Content-Type"] == "application/octet-stream"
        assert headers["Content-Length"] == str(len(DATA))
        assert headers["X-CS-VerificationToken"] == "T" * 40
        assert bytes(received.data) == DATA
        assert uploaded.file_id == "a58dFp1Tr7"
        assert uploaded.checksum == hashlib.sha256(DATA).hexdigest()


async def test_failed_put_removes_the_file() -> None:
    with aioresponses() as mock:
        mock.post(
            f"{BASE}/api/users/alice@example.com/verification/token",
            payload={"data": {"token": "T" * 40, "validUntil": "2099-01-01T00:00:00+00:00"}},
        )
        mock.get(SESSION, payload={"data": {"fileChecksumAlgorithm": "MD5", "files": []}})
        mock.post(f"{SESSION}/files", status=201, payload={"data": {"fileId": "f1"}})
        mock.put(
            f"{SESSION}/files/f1/content",
            status=409,
            payload={"errorCode": 2001, "errorMessage": "no"},
        )
        mock.delete(f"{SESSION}/files/f1", status=204)
        async with CryptshareClient(BASE, client_id=CLIENT_ID) as client:
            session = client.sender("alice@example.com").resume_session("20240522-065711-H8UoUSI6")
            with pytest.raises(Exception, match="2001"):
                await session.upload(BytesSource(DATA, name="a.txt"))
        assert len(_calls(mock, "DELETE", f"{SESSION}/files/f1")) == 1
        (register,) = _calls(mock, "POST", f"{SESSION}/files")
        assert register.kwargs["json"]["checksum"] == hashlib.md5(DATA).hexdigest()
