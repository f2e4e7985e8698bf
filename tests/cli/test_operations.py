"""``download --zip/--eml``, ``checksums``, ``terms``, ``password generate|check|rules``."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from .conftest import BOB, Cli

PASSWORD = "Tr0ub4dor&3-x"


@pytest.fixture
async def incoming(
    cli: Cli, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> tuple[str, list[Path]]:
    monkeypatch.setenv("SEND_PW", PASSWORD)
    monkeypatch.setenv("CS_PW", PASSWORD)
    tracking_id = await cli.send(*files, extra=["--password-env", "SEND_PW"])
    return cli.emu.recipient_transfer_ids(tracking_id)[BOB], files


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(archive.namelist())


async def test_download_zip_with_checksums(
    cli: Cli, incoming: tuple[str, list[Path]], tmp_path: Path
) -> None:
    transfer_id, files = incoming
    target = tmp_path / "zips"
    result = await cli(
        "download", transfer_id, "--zip", "--with-checksums", "--to", str(target),
        "--password-env", "CS_PW", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    path = Path(result.json()["path"])
    assert path.parent == target and path.suffix == ".zip"
    assert _names(path) == sorted([f.name for f in files] + ["checksums.csv"])
    again = await cli(
        "download", transfer_id, "--zip", "--to", str(target), "--password-env", "CS_PW"
    )
    assert again.code == 1 and "exists" in again.err  # never replaced without --overwrite


async def test_download_eml_without_a_message_fails_cleanly(
    cli: Cli, incoming: tuple[str, list[Path]], tmp_path: Path
) -> None:
    transfer_id, _ = incoming
    result = await cli(
        "download", transfer_id, "--eml", "--threshold-mb", "1", "--to", str(tmp_path / "e"),
        "--password-env", "CS_PW",
    )  # fmt: skip
    assert result.code == 1 and len(result.error_lines) == 1
    assert PASSWORD not in result.err and PASSWORD not in result.out


@pytest.mark.parametrize(
    "extra",
    [
        ["--with-checksums"],
        ["--threshold-mb", "2"],
        ["--zip", "--eml"],
        ["--eml", "--with-checksums"],
        ["--zip", "--threshold-mb", "2"],
        ["--zip", "--list"],
        ["--zip", "--password", "x"],
    ],
)
async def test_download_bundle_usage_errors(cli: Cli, tmp_path: Path, extra: list[str]) -> None:
    result = await cli("download", "x7Hk2pQr9a", "--to", str(tmp_path), "--no-password", *extra)
    assert result.code == 2 and "error" in result.err


async def test_checksums_lists_every_file(cli: Cli, incoming: tuple[str, list[Path]]) -> None:
    transfer_id, files = incoming
    result = await cli("checksums", transfer_id, "--password-env", "CS_PW", "--json")
    assert result.code == 0, result.err
    assert sorted((r["name"], r["checksum"]) for r in result.json()) == sorted(
        (f.name, hashlib.sha256(f.read_bytes()).hexdigest()) for f in files
    )
    plain = await cli("checksums", transfer_id, "--password-env", "CS_PW")
    assert len(plain.out.splitlines()) == len(files)


async def test_terms_and_imprint(cli: Cli) -> None:
    result = await cli("terms", "--json")
    assert result.code == 0, result.err
    assert result.json()["active"] is False and result.json()["locale"] == "en-US"
    german = await cli("terms", "--language", "de")
    assert german.code == 0 and "Nutzungsbedingungen" in german.out
    imprint = await cli("terms", "--imprint")
    assert imprint.code == 0 and "Imprint" in imprint.out


async def test_password_generate_check_and_rules(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    generated = await cli("password", "generate", "--as-sender")
    assert generated.code == 0, generated.err
    password = generated.out.strip()
    assert password
    monkeypatch.setenv("CHECK_PW", password)
    good = await cli("password", "check", "--password-env", "CHECK_PW")
    assert good.code == 0 and good.out.startswith("valid")
    bad = await cli("password", "check", "--password-file", "-", stdin="a\n")
    assert bad.code == 1 and "not valid" in bad.out and "a\n" not in bad.err
    rules = await cli("password", "rules", "--json")
    assert rules.code == 0 and all("name" in r for r in rules.json())
    refused = await cli("password", "check", "--password", "on-the-line")
    assert refused.code == 2 and "on-the-line" not in refused.err
    extra = await cli("password", "rules", "--password-env", "CHECK_PW")
    assert extra.code == 2


async def test_send_shows_or_stores_the_generated_password(
    cli: Cli, files: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "pw.txt"
    tracking_id = await cli.send(files[1], extra=["--password-out", str(out)])
    stored = out.read_text().strip()
    assert stored == cli.emu.transfer_password(tracking_id)
    assert out.stat().st_mode & 0o077 == 0
    args = ["send", str(files[1]), "--to", BOB, "--name", "A", "--phone", "1", "--show-password"]
    shown = await cli(*args, "--json")
    assert shown.code == 0, shown.err
    password = cli.emu.transfer_password(shown.json()["tracking_id"])
    assert f"transfer password: {password}" in shown.err and password not in shown.out


@pytest.mark.parametrize(
    "extra",
    [
        ["--show-password", "--password-mode", "none"],
        ["--password-out", "{existing}"],
        ["--password-out", "{missing}/pw"],
        ["--show-password", "--password-env", "SEND_PW"],
    ],
)
async def test_send_refuses_a_password_delivery_that_cannot_work(
    cli: Cli,
    files: list[Path],
    tmp_path: Path,
    extra: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEND_PW", PASSWORD)
    existing = tmp_path / "exists"
    existing.write_text("keep")
    extra = [e.format(existing=existing, missing=tmp_path / "nope") for e in extra]
    before = len(cli.emu.requests)
    args = ["send", str(files[1]), "--to", BOB, "--name", "A", "--phone", "1", *extra]
    result = await cli(*args)
    assert result.code == 2, result.err
    assert len(cli.emu.requests) == before  # refused before anything was sent
    assert existing.read_text() == "keep"
