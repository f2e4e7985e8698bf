"""Raw-HTTP helpers for the emulator tests: a plain aiohttp session, no library code."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig
from cryptshare_async.testing._versions import API_VERSION_ENV

SENDER = "alice@example.com"
RECIPIENT = "bob@example.org"


class Api:
    """Sends API requests with the standard headers; ``token`` adds the verification token."""

    def __init__(self, emu: Emulator, http: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.http = http
        self.client_id = emu.client_id
        self.minor = "12"  # X-CS-MinimumMinorApiVersion sent

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        headers = {
            "X-CS-ClientId": self.client_id,
            "X-CS-MajorApiVersion": "1",
            "X-CS-MinimumMinorApiVersion": self.minor,
        }
        if token is not None:
            headers["X-CS-VerificationToken"] = token
        headers.update(extra)
        return headers

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
        """(status, parsed JSON or raw bytes or None, response headers)."""
        all_headers = self.headers(token)
        all_headers.update(headers or {})
        if isinstance(data, bytes):
            data = io.BytesIO(data)
        async with self.http.request(
            method,
            self.emu.url + path,
            json=json,
            data=data,
            headers=all_headers,
            params=params,
        ) as response:
            raw = await response.read()
            body: Any = None
            if raw and response.content_type == "application/json":
                body = await response.json()
            elif raw:
                body = raw
            return response.status, body, response.headers

    async def token(self, email: str = SENDER) -> str:
        status, body, _ = await self.call("POST", f"/api/users/{email}/verification/token", json={})
        assert status == 200, body
        token: str = body["data"]["token"]
        return token

    async def session(
        self, token: str, email: str = SENDER, recipients: list[str] | None = None, **create: Any
    ) -> str:
        body = {
            "sender": {"name": "Alice", "phone": "+49 1"},
            "recipients": {"to": [{"mail": r} for r in (recipients or [RECIPIENT])]},
            **create,
        }
        status, data, headers = await self.call(
            "POST", f"/api/users/{email}/transfer-sessions", token=token, json=body
        )
        assert status == 201, data
        return str(headers["Location"]).rstrip("/").rsplit("/", 1)[1]

    async def add_file(
        self,
        token: str,
        tracking_id: str,
        name: str,
        content: bytes,
        *,
        email: str = SENDER,
        size: int | None = None,
        checksum: str | None = None,
    ) -> str:
        base = f"/api/users/{email}/transfer-sessions/{tracking_id}/files"
        registration: dict[str, Any] = {
            "fileName": name,
            "size": len(content) if size is None else size,
        }
        if checksum is not None:
            registration["checksum"] = checksum
        status, body, _ = await self.call("POST", base, token=token, json=registration)
        assert status == 201, body
        file_id: str = body["data"]["fileId"]
        status, body, _ = await self.call(
            "PUT",
            f"{base}/{file_id}/content",
            token=token,
            data=content,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert status == 200, body
        return file_id

    async def finalize(self, token: str, tracking_id: str, email: str = SENDER) -> str:
        status, body, headers = await self.call(
            "POST", f"/api/users/{email}/transfer-sessions/{tracking_id}", token=token
        )
        assert status == 201, body
        return str(headers["Location"])

    async def send(
        self,
        token: str,
        files: dict[str, bytes],
        *,
        email: str = SENDER,
        recipients: list[str] | None = None,
        patch: dict[str, Any] | None = None,
        wait: bool = True,
    ) -> str:
        """Create, patch, upload, finalize (and wait for processing); the tracking id."""
        tracking_id = await self.session(token, email, recipients)
        if patch:
            status, body, _ = await self.call(
                "PATCH",
                f"/api/users/{email}/transfer-sessions/{tracking_id}",
                token=token,
                json=patch,
            )
            assert status == 200, body
        for name, content in files.items():
            await self.add_file(token, tracking_id, name, content, email=email)
        await self.finalize(token, tracking_id, email)
        if wait:
            await self.emu.wait_processed(tracking_id)
        return tracking_id

    async def status(
        self, token: str, tracking_id: str, email: str = SENDER, **headers: str
    ) -> Any:
        status, body, _ = await self.call(
            "GET", f"/api/users/{email}/transfers/{tracking_id}", token=token, headers=headers
        )
        assert status == 200, body
        return body["data"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def cryptshare_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(processing_seconds=0.0)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(cryptshare_emulator: Emulator, http: aiohttp.ClientSession) -> Api:
    return Api(cryptshare_emulator, http)


@pytest.fixture
async def token(api: Api) -> str:
    return await api.token()


@pytest.fixture(autouse=True)
def _newest_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's own tests pin the newest profile (those of older profiles say so)."""
    monkeypatch.delenv(API_VERSION_ENV, raising=False)
