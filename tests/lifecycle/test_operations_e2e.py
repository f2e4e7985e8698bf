"""Every client method of issue 11 against the emulator: recipient bundles and checksums,
legal texts, language packs, CORS, logging, generated passwords, password endpoints with
a sender, the client id without one, version awareness."""

from __future__ import annotations

import email
import hashlib
import json
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from cryptshare_async import (
    ApiVersionUnsupportedError,
    CryptshareClient,
    DownloadTargetExistsError,
    InvalidInputError,
    LogEntry,
    LogLevel,
    NotFoundError,
    PasswordMode,
    RemoteLoggingDisabledError,
    UnsupportedByServerError,
    VerificationError,
    WrongPasswordError,
)
from cryptshare_async._protocol import ApiRequest, ApiResponse
from cryptshare_async._recipient import RecipientTransfer
from cryptshare_async._sender import Sender
from cryptshare_async.testing import Emulator, EmulatorConfig, MockTransport, json_response

from .conftest import ALICE, BOB, make_transfer

FAST: dict[str, Any] = {"interval": 0.01, "max_interval": 0.05, "timeout": 30.0}
FILES = {"a.txt": b"alpha" * 100, "b.bin": bytes(range(256)) * 40}


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def incoming(
    emu: Emulator, client: CryptshareClient, alice: Sender, **kw: Any
) -> RecipientTransfer:
    transfer = await make_transfer(alice, FILES, **kw)
    await transfer.wait_until_active(**FAST)
    transfer_id = emu.recipient_transfer_ids(transfer.tracking_id)[BOB]
    password = emu.transfer_password(transfer.tracking_id)
    return client.recipient_transfer(transfer_id, password=password)


# ------------------------------------------------------------------ recipient bundles


async def test_download_zip_holds_every_file_and_optionally_the_checksums(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    recipient = await incoming(emu, client, alice)
    plain = await recipient.download_zip(tmp_path)
    assert plain == tmp_path / f"{recipient.transfer_id}.zip"
    with zipfile.ZipFile(plain) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == FILES
    named = await recipient.download_zip(tmp_path / "all.zip", include_checksum_file=True)
    with zipfile.ZipFile(named) as archive:
        assert sorted(archive.namelist()) == sorted([*FILES, "checksums.csv"])
    assert listing(tmp_path) == sorted([plain.name, "all.zip"])


async def test_download_zip_never_replaces_a_file_unless_asked(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    recipient = await incoming(emu, client, alice)
    target = tmp_path / "x.zip"
    target.write_bytes(b"mine")
    with pytest.raises(DownloadTargetExistsError):
        await recipient.download_zip(target)
    assert target.read_bytes() == b"mine"
    await recipient.download_zip(target, overwrite=True)
    assert zipfile.is_zipfile(target)
    assert listing(tmp_path) == ["x.zip"]  # no temporary left


async def test_download_zip_names_the_chosen_files(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    recipient = await incoming(emu, client, alice)
    files = await recipient.files()
    await recipient.download_zip(tmp_path, files=[files[0], files[1].id or ""])
    sent = [r for r in emu.requests if r.path.endswith("/zip")][-1]
    assert sent.query["customized-files-ids"] == f"{files[0].id},{files[1].id}"
    assert sent.query["is-customized-files-ids-include"] == "true"
    for bad in ([], "F1", [""], ["a,b"]):
        with pytest.raises(InvalidInputError):
            await recipient.download_zip(tmp_path / "y.zip", files=bad)  # type: ignore[arg-type]


async def test_download_eml_carries_the_message_and_honours_the_threshold(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    transfer = await make_transfer(alice, {"message.html": b"<p>hi</p>", **FILES})
    await transfer.wait_until_active(**FAST)
    # Mark the first file as the confidential message through the emulator's state.
    stored = emu.transfer(transfer.tracking_id)
    first = next(iter(stored.files))
    stored.settings["confidentialMessageFileId"] = first
    transfer_id = emu.recipient_transfer_ids(transfer.tracking_id)[BOB]
    recipient = client.recipient_transfer(
        transfer_id, password=emu.transfer_password(transfer.tracking_id)
    )
    path = await recipient.download_eml(tmp_path)
    assert path.name == f"{transfer_id}.eml"
    message = email.message_from_bytes(path.read_bytes())
    names = {part.get_filename() for part in message.walk() if part.get_filename()}
    assert set(FILES) <= names
    small = await recipient.download_eml(tmp_path / "small.eml", threshold_mb=0)
    parts = email.message_from_bytes(small.read_bytes()).walk()
    assert not {p.get_filename() for p in parts if p.get_filename()} & set(FILES)
    with pytest.raises(InvalidInputError):
        await recipient.download_eml(tmp_path / "z.eml", threshold_mb=-1)


async def test_download_eml_without_a_confidential_message_is_not_found(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    recipient = await incoming(emu, client, alice)
    with pytest.raises(NotFoundError):
        await recipient.download_eml(tmp_path)
    assert listing(tmp_path) == []


async def test_checksums_are_typed_rows(
    emu: Emulator, client: CryptshareClient, alice: Sender
) -> None:
    recipient = await incoming(emu, client, alice)
    rows = await recipient.checksums()
    assert [(r.file_name, r.size, r.checksum, r.algorithm) for r in rows] == [
        (name, len(content), hashlib.sha256(content).hexdigest(), "SHA-256")
        for name, content in FILES.items()
    ]


async def test_bundles_need_the_right_password(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    recipient = await incoming(emu, client, alice)
    wrong = client.recipient_transfer(recipient.transfer_id, password="not-it")
    with pytest.raises(WrongPasswordError):
        await wrong.checksums()
    with pytest.raises(WrongPasswordError):
        await wrong.download_zip(tmp_path)
    assert listing(tmp_path) == []


async def test_the_recipient_password_never_travels_in_a_url(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path
) -> None:
    password = "Pa ss/wörd?&=1"
    transfer = await make_transfer(
        alice, FILES, password_mode=PasswordMode.MANUAL, password=password
    )
    await transfer.wait_until_active(**FAST)
    transfer_id = emu.recipient_transfer_ids(transfer.tracking_id)[BOB]
    recipient = client.recipient_transfer(transfer_id, password=password)
    before = len(emu.requests)
    await recipient.info()
    await recipient.files()
    await recipient.checksums()
    await recipient.download_all(tmp_path)
    await recipient.download_zip(tmp_path)
    sent = [r for r in emu.requests[before:] if r.path.startswith("/api/transfers/")]
    assert len(sent) >= 5
    for request in sent:
        assert request.header("X-CS-Password") == quote(password, safe="")
        url = request.path + "?" + "&".join(f"{k}={v}" for k, v in request.query.items())
        assert password not in url and quote(password, safe="") not in url
        assert "password" not in request.query


# ------------------------------------------------------------------ product information


async def test_terms_of_use_and_imprint(client: CryptshareClient) -> None:
    terms = await client.terms_of_use()
    assert terms.active is False and terms.last_change_timestamp is not None
    english = terms.for_locale("en")
    assert english is not None and english.title and not english.is_link
    assert terms.for_locale("de-DE") is not None and terms.for_locale("fr") is None
    imprint = await client.imprint(language="de")
    assert imprint.type == "html" and "Impressum" in (imprint.content or "")


async def test_language_packs_one_pack_and_a_file(client: CryptshareClient) -> None:
    packs = await client.language_packs()
    assert {p.id for p in packs} == {"en-US_2", "de-DE_2"}
    assert await client.language_packs(major_version=1) == ()
    pack = await client.language_pack("de-DE_2")
    assert pack.locale == "de-DE" and pack.href and pack.href.startswith("/api/")
    texts = json.loads(await client.language_pack_file("de-DE_2", "texts/messages.json"))
    assert texts == {"download": "Herunterladen"}
    with pytest.raises(NotFoundError):
        await client.language_pack("xx-XX_9")
    for bad in ("", "../x", "a//b"):
        with pytest.raises(InvalidInputError):
            await client.language_pack_file("de-DE_2", bad)


@pytest.mark.parametrize(
    "emulator_config",
    [
        EmulatorConfig(
            processing_seconds=0.0,
            cors_origins=frozenset({"https://app.example.com"}),
            remote_logging=False,
            client_log_level="warn",
        )
    ],
)
async def test_cors_logging_settings_and_a_refused_log(
    emu: Emulator, client: CryptshareClient
) -> None:
    assert (await client.cors_status("https://app.example.com")).active is True
    assert (await client.cors_status("https://evil.example")).active is False
    settings = await client.logging_settings()
    assert settings.level is LogLevel.WARN and settings.remote_logging_enabled is False
    with pytest.raises(RemoteLoggingDisabledError):
        await client.send_log([LogEntry(LogLevel.ERROR, "x")])
    assert emu.client_logs == []


async def test_send_log_reaches_the_server(emu: Emulator, client: CryptshareClient) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    await client.send_log([LogEntry(LogLevel.INFO, "hello", when), LogEntry(LogLevel.DEBUG, "x")])
    assert [e["message"] for e in emu.client_logs] == ["hello", "x"]
    assert emu.client_logs[0]["level"] == "info" and "timestamp" in emu.client_logs[0]
    with pytest.raises(InvalidInputError):
        await client.send_log([])


# ------------------------------------------------------------------ passwords and ids


async def test_generated_password_is_learnt_from_the_session(
    emu: Emulator, client: CryptshareClient, alice: Sender
) -> None:
    session = await alice.create_session(to=[BOB], name="Alice", phone="1")
    assert session.generated_password is None
    await session.update(password_mode=PasswordMode.GENERATED)
    generated = session.generated_password
    assert generated
    assert generated not in repr(session)
    await session.upload(b"data", file_name="d.txt")
    transfer = await session.finalize()
    assert emu.transfer_password(transfer.tracking_id) == generated
    fresh = alice.resume_session(session.tracking_id)  # a handle on it knows nothing yet
    assert fresh.generated_password is None


async def test_choosing_another_mode_forgets_the_generated_password(
    client: CryptshareClient, alice: Sender
) -> None:
    session = await alice.create_session(to=[BOB], name="Alice", phone="1")
    await session.update(password_mode=PasswordMode.GENERATED)
    assert session.generated_password
    await session.update(password_mode=PasswordMode.MANUAL, password="Manual-Pass-123")
    assert session.generated_password is None


async def test_password_endpoints_with_and_without_a_sender(
    emu: Emulator, client: CryptshareClient, alice: Sender
) -> None:
    await alice.verify_with_client_id()
    before = len(emu.requests)
    generated = await client.generate_password(sender=alice)
    assert (await client.validate_password(generated, sender=alice)).valid is True
    assert await client.password_requirements(sender=alice)
    assert (await client.validate_password("a")).valid is False
    sent = [r for r in emu.requests[before:] if r.path.startswith("/api/password")]
    tokens = [r.header("X-CS-VerificationToken") for r in sent]
    assert all(tokens[:3]) and tokens[3] is None
    with pytest.raises(InvalidInputError):
        await client.generate_password(sender="alice")  # type: ignore[arg-type]


async def test_request_client_id_without_a_client_id(emu: Emulator) -> None:
    async with CryptshareClient(emu.url, client_id=None) as bare:
        new_id = await bare.request_client_id()
    assert len(new_id) >= 50 and new_id.isalnum()
    assert emu.requests[-1].header("X-CS-ClientId") is None


# ------------------------------------------------------------------ version awareness


@pytest.mark.cryptshare_api_version(1, 13)
async def test_server_status_is_cached_per_client(emu: Emulator, client: CryptshareClient) -> None:
    first = await client.server_status()
    count = sum(r.path == "/api/status" for r in emu.requests)
    assert await client.server_status() is first
    assert sum(r.path == "/api/status" for r in emu.requests) == count
    assert await client.server_status(refresh=True) == first
    assert sum(r.path == "/api/status" for r in emu.requests) == count + 1


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(api_version=(1, 11))])
async def test_an_older_server_refusing_a_version_names_it(
    emu: Emulator, client: CryptshareClient, alice: Sender
) -> None:
    # A 1.11 server does not know the 1.12 listing (1006): the same error, both versions.
    with pytest.raises(UnsupportedByServerError) as unknown:
        await alice.sent_transfers().collect()
    assert isinstance(unknown.value, ApiVersionUnsupportedError)
    assert isinstance(unknown.value, NotFoundError)  # what callers caught before
    assert unknown.value.needed_version == "1.12" and unknown.value.server_version is None
    assert "1.12" in str(unknown.value)
    with pytest.raises(NotFoundError):
        await client.server_status()  # a 1.11 server has no status endpoint
    # A client whose floor is above the server gets its 2004.
    async with CryptshareClient(
        emu.url, client_id=emu.client_id, minimum_minor_version=12
    ) as eager:
        with pytest.raises(ApiVersionUnsupportedError) as answered:
            await eager.sender(ALICE).verification_status()
    assert answered.value.error_code == 2004 and answered.value.needed_version == "1.12"
    assert (await alice.verification_status()).verified is not None  # older calls work


async def test_an_endpoint_newer_than_a_known_server_is_refused_before_sending() -> None:
    def handler(request: ApiRequest, _: Mapping[str, str]) -> ApiResponse:
        if request.path == "/status":
            return json_response({"apiVersions": {"uiApiVersions": [{"major": 1, "minor": 9}]}})
        if request.path.endswith("/verification/token"):
            return json_response({"data": {"token": "T" * 40}})
        return json_response({"data": []})

    mock = MockTransport(handler)
    async with CryptshareClient(
        "https://share.example.com", client_id="C" * 50, transport=mock
    ) as client:
        await client.server_status()
        alice = client.sender(ALICE)
        with pytest.raises(UnsupportedByServerError) as refused:
            await alice.received_transfers().collect()
        with pytest.raises(UnsupportedByServerError):
            await alice.transfer("T1").revoke()
    assert [call.request.path for call in mock.calls] == ["/status"]  # nothing else sent
    error = refused.value
    assert not isinstance(error, ApiVersionUnsupportedError)
    assert (error.needed_version, error.server_version) == ("1.12", "1.9")
    assert "1.12" in str(error) and "1.9" in str(error)


async def test_a_token_for_password_endpoints_is_fetched_when_missing(
    emu: Emulator, client: CryptshareClient
) -> None:
    carol = client.sender(ALICE)
    await carol.forget_token()
    await client.generate_password(sender=carol)
    assert await carol.is_verified()


async def test_password_endpoint_with_a_sender_that_cannot_verify(
    emu: Emulator, client: CryptshareClient
) -> None:
    manual = client.sender(ALICE, auto_verify=False)
    await manual.forget_token()
    before = len(emu.requests)
    with pytest.raises(VerificationError):
        await client.generate_password(sender=manual)
    assert len(emu.requests) == before  # nothing sent without the token asked for
    assert await client.generate_password()  # without a sender: no token needed


@pytest.mark.parametrize("algorithm", ["SHA3-256", "SHA3-512", "SHA-512"])
async def test_a_checksum_algorithm_runs_end_to_end(
    emu: Emulator, client: CryptshareClient, alice: Sender, tmp_path: Path, algorithm: str
) -> None:
    session = await alice.create_session(to=[BOB], name="Alice", phone="1")
    await session.update(password_mode=PasswordMode.GENERATED, file_checksum_algorithm=algorithm)
    uploaded = await session.upload(b"sha3 content " * 100, file_name="s.txt")
    transfer = await session.finalize()
    await transfer.wait_until_active(**FAST)
    transfer_id = emu.recipient_transfer_ids(transfer.tracking_id)[BOB]
    recipient = client.recipient_transfer(transfer_id, password=session.generated_password)
    assert (await recipient.info()).checksum_algorithm == algorithm
    [path] = await recipient.download_all(tmp_path)  # verified against the server's checksum
    name = algorithm.lower().replace("-", "_").replace("sha_", "sha")
    assert hashlib.new(name, path.read_bytes()).hexdigest() == uploaded.checksum
    [row] = await recipient.checksums()
    assert (row.algorithm, row.checksum) == (algorithm, uploaded.checksum)
