"""Recipient bundles: a real ZIP (with the checksum file), a real MIME EML honouring
``threshold``, and the checksums CSV; on the schema's and the manual's paths."""

from __future__ import annotations

import csv
import email
import io
import tracemalloc
import zipfile
from email.message import Message
from pathlib import Path

import pytest

from cryptshare_async.testing import Emulator
from cryptshare_async.testing._bundles import write_eml, write_zip

from .conftest import RECIPIENT, SENDER, Api, sha256

FILES = {"a.txt": b"alpha" * 100, "b.bin": bytes(range(256)) * 40}


async def _recipient(api: Api, tracking_id: str) -> tuple[str, dict[str, str]]:
    emu = api.emu
    transfer_id = emu.recipient_transfer_ids(tracking_id)[RECIPIENT]
    return f"/api/transfers/{transfer_id}", {
        "X-CS-Password": emu.transfer_password(tracking_id) or ""
    }


@pytest.mark.parametrize("path", ["/zip", "/files/zip"])
async def test_zip_holds_every_file(api: Api, token: str, path: str) -> None:
    tracking_id = await api.send(token, FILES)
    base, password = await _recipient(api, tracking_id)
    status, body, headers = await api.call("GET", base + path, headers=password)
    assert status == 200 and headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.namelist() == list(FILES)
        assert {n: archive.read(n) for n in FILES} == FILES


async def test_zip_with_checksum_file_and_downloads_counted(api: Api, token: str) -> None:
    tracking_id = await api.send(token, FILES)
    base, password = await _recipient(api, tracking_id)
    status, body, _ = await api.call(
        "GET", base + "/zip", headers=password, params={"include-checksum-file": "true"}
    )
    assert status == 200
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("checksums.csv").decode())))
    assert rows[0] == ["File name", "Size (bytes)", "Checksum", "Algorithm"]
    assert rows[1:] == [[n, str(len(c)), sha256(c), "SHA-256"] for n, c in FILES.items()]
    state = await api.status(token, tracking_id)
    downloads = state["status"]["recipients"][0]["fileDownloads"]
    assert all(len(f["downloads"]) == 1 for f in downloads)


async def test_zip_refuses_a_bad_flag_and_a_wrong_password(api: Api, token: str) -> None:
    tracking_id = await api.send(token, FILES)
    base, password = await _recipient(api, tracking_id)
    status, body, _ = await api.call(
        "GET", base + "/zip", headers=password, params={"include-checksum-file": "yes"}
    )
    assert (status, body["errorCode"]) == (400, 1004)
    status, body, _ = await api.call("GET", base + "/zip", headers={"X-CS-Password": "no"})
    assert (status, body["errorCode"]) == (401, 3003)


async def test_checksums_csv_in_the_request_language(api: Api, token: str) -> None:
    tracking_id = await api.send(token, FILES)
    base, password = await _recipient(api, tracking_id)
    status, body, headers = await api.call(
        "GET", base + "/checksums", headers={**password, "Accept-Language": "de-DE"}
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0][0] == "Dateiname"
    assert [r[0] for r in rows[1:]] == list(FILES)


async def _with_message(api: Api, token: str, files: dict[str, bytes]) -> str:
    tracking_id = await api.session(token)
    message = await api.add_file(token, tracking_id, "message.html", "<p>Grüße</p>".encode())
    for name, content in files.items():
        await api.add_file(token, tracking_id, name, content)
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


def _attachments(message: Message) -> dict[str, bytes]:
    out = {}
    for part in message.walk():
        if part.get_filename():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            out[part.get_filename() or ""] = payload
    return out


@pytest.mark.parametrize("path", ["/eml", "/files/eml"])
async def test_eml_is_a_mime_message_with_the_message_and_files(
    api: Api, token: str, path: str
) -> None:
    tracking_id = await _with_message(api, token, FILES)
    base, password = await _recipient(api, tracking_id)
    status, body, _ = await api.call("GET", base + path, headers=password)
    assert status == 200
    message = email.message_from_bytes(body)
    assert message.get_content_type() == "multipart/mixed"
    assert message["To"] == RECIPIENT and message["From"] == SENDER
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    assert html.get_payload(decode=True) == "<p>Grüße</p>".encode()
    assert _attachments(message) == FILES


async def test_eml_threshold_leaves_out_what_does_not_fit(api: Api, token: str) -> None:
    big = {"big.bin": b"x" * 900_000, "small.txt": b"s" * 1000}
    tracking_id = await _with_message(api, token, big)
    base, password = await _recipient(api, tracking_id)
    status, body, _ = await api.call(
        "GET", base + "/eml", headers=password, params={"threshold": "1"}
    )
    assert status == 200 and len(body) <= 1024 * 1024
    assert _attachments(email.message_from_bytes(body)) == {"small.txt": b"s" * 1000}
    status, body, _ = await api.call(
        "GET", base + "/eml", headers=password, params={"threshold": "x"}
    )
    assert (status, body["errorCode"]) == (400, 1004)


async def test_eml_without_confidential_message_is_not_found(api: Api, token: str) -> None:
    tracking_id = await api.send(token, FILES)
    base, password = await _recipient(api, tracking_id)
    status, body, _ = await api.call("GET", base + "/eml", headers=password)
    assert (status, body["errorCode"]) == (404, 2003)


async def test_bundle_scratch_files_are_removed(
    api: Api, token: str, cryptshare_emulator: Emulator
) -> None:
    tracking_id = await _with_message(api, token, FILES)
    base, password = await _recipient(api, tracking_id)
    for path in ("/zip", "/eml"):
        status, _, _ = await api.call("GET", base + path, headers=password)
        assert status == 200
    scratch = cryptshare_emulator.storage_dir / ".scratch"
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("bundle", ["zip", "eml"])
def test_bundles_stream_a_large_file_in_bounded_memory(tmp_path: Path, bundle: str) -> None:
    """A 24 MiB file goes into the ZIP or EML with Python allocations far below its size."""
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        out.truncate(24 * 1024 * 1024)
    message = tmp_path / "m.html"
    message.write_bytes(b"<p>hi</p>")
    target = tmp_path / f"out.{bundle}"
    tracemalloc.start()
    try:
        if bundle == "zip":
            write_zip(target, [("big.bin", big)], None)
        else:
            write_eml(
                target,
                sender=SENDER,
                recipient=RECIPIENT,
                subject="s",
                message=message,
                files=[("big.bin", big)],
                threshold_bytes=None,
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024
    assert target.stat().st_size > 24 * 1024 * 1024
