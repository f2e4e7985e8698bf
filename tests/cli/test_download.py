"""``download``: the recipient's side, with the password from the environment or a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import BOB, Cli

PASSWORD = "Tr0ub4dor&3-x"


def same_content(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


@pytest.fixture
async def incoming(
    cli: Cli, files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> tuple[str, list[Path]]:
    """A transfer with a manual password; Bob's transfer id and the files sent."""
    monkeypatch.setenv("SEND_PW", PASSWORD)
    tracking_id = await cli.send(*files, extra=["--password-env", "SEND_PW"])
    return cli.emu.recipient_transfer_ids(tracking_id)[BOB], files


async def test_download_with_password_from_env(
    cli: Cli, incoming: tuple[str, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transfer_id, files = incoming
    monkeypatch.setenv("CS_PW", PASSWORD)
    target = tmp_path / "downloads" / "new"
    result = await cli("download", transfer_id, "--to", str(target), "--password-env", "CS_PW")
    assert result.code == 0, result.err
    assert sorted(result.out.splitlines()) == sorted(str(target / f.name) for f in files)
    for file in files:
        assert (target / file.name).read_bytes() == file.read_bytes()
    assert result.err.splitlines() == ["downloaded 2 files (1.0 MiB)"]


async def test_download_with_password_from_file_as_json(
    cli: Cli, incoming: tuple[str, list[Path]], tmp_path: Path
) -> None:
    transfer_id, files = incoming
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    target = tmp_path / "downloads"
    result = await cli(
        "download", transfer_id, "--to", str(target), "--password-file", str(secret), "--json"
    )
    assert result.code == 0, result.err
    document = result.json()
    assert document["transfer_id"] == transfer_id
    assert sorted((f["name"], f["size"]) for f in document["files"]) == sorted(
        (f.name, f.stat().st_size) for f in files
    )
    for entry in document["files"]:
        assert same_content(Path(entry["path"]), files[0].parent / entry["name"])


async def test_list_then_download_one_file(
    cli: Cli, incoming: tuple[str, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transfer_id, _ = incoming
    monkeypatch.setenv("CS_PW", PASSWORD)
    listing = await cli("download", transfer_id, "--list", "--password-env", "CS_PW", "--json")
    assert listing.code == 0, listing.err
    by_name = {f["name"]: f["id"] for f in listing.json()["files"]}
    assert sorted(by_name) == ["data.bin", "note.txt"]
    result = await cli(
        "download", transfer_id, "--to", str(tmp_path / "d"), "--file", by_name["note.txt"],
        "--password-env", "CS_PW",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["note.txt"]
    assert result.err == "downloaded note.txt (10 B)\n"

    unknown = await cli(
        "download", transfer_id, "--to", str(tmp_path / "d"), "--file", "nope",
        "--password-env", "CS_PW",
    )  # fmt: skip
    assert unknown.code == 1
    assert unknown.error_lines == [f"error: transfer {transfer_id} has no file nope"]
    assert "hint: its files:" in unknown.err


async def test_wrong_password_is_a_clear_error(
    cli: Cli, incoming: tuple[str, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transfer_id, _ = incoming
    monkeypatch.setenv("CS_PW", "not-the-password")
    target = tmp_path / "downloads"
    result = await cli("download", transfer_id, "--to", str(target), "--password-env", "CS_PW")
    assert result.code == 1
    assert result.out == ""
    assert result.err.splitlines() == [
        f"error: wrong password for transfer {transfer_id}",
        "hint: check the password: after too many wrong ones the server deletes the transfer",
    ]
    assert not target.exists()
    assert "not-the-password" not in result.err


async def test_existing_file_needs_overwrite(
    cli: Cli, incoming: tuple[str, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transfer_id, files = incoming
    monkeypatch.setenv("CS_PW", PASSWORD)
    target = tmp_path / "downloads"
    target.mkdir()
    (target / "note.txt").write_text("mine\n")
    argv = ["download", transfer_id, "--to", str(target), "--password-env", "CS_PW"]
    refused = await cli(*argv)
    assert refused.code == 1
    assert refused.err.splitlines()[-2:] == [
        f"error: {target / 'note.txt'} exists",
        "hint: pass --overwrite to replace it",
    ]
    assert (target / "note.txt").read_text() == "mine\n"
    replaced = await cli(*argv, "--overwrite")
    assert replaced.code == 0, replaced.err
    assert (target / "note.txt").read_bytes() == files[1].read_bytes()


async def test_no_password_source_without_a_terminal(
    cli: Cli, incoming: tuple[str, list[Path]], tmp_path: Path
) -> None:
    transfer_id, _ = incoming
    before = len(cli.emu.requests)
    result = await cli("download", transfer_id, "--to", str(tmp_path / "d"), stdin="")
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: no terminal to ask for the transfer password",
        "hint: pass --password-env VAR or --password-file PATH"
        " (or --no-password for a transfer sent without one)",
    ]
    assert len(cli.emu.requests) == before


async def test_transfer_without_password(cli: Cli, files: list[Path], tmp_path: Path) -> None:
    tracking_id = await cli.send(files[1], extra=["--password-mode", "none"])
    transfer_id = cli.emu.recipient_transfer_ids(tracking_id)[BOB]
    result = await cli("download", transfer_id, "--to", str(tmp_path / "d"), "--no-password")
    assert result.code == 0, result.err
    assert (tmp_path / "d" / "note.txt").read_bytes() == files[1].read_bytes()


async def test_download_needs_a_directory(cli: Cli) -> None:
    result = await cli("download", "x7Hk2pQr9a", "--no-password")
    assert result.code == 2
    assert result.err == "error: download needs --to DIR (or --list to only list the files)\n"
