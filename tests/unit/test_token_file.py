"""FileTokenStore under stress: several writers, killed writers, damaged files, bad paths."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import cryptshare_async
from cryptshare_async import ConfigurationError, CryptshareError, FileTokenStore, StoredToken
from cryptshare_async._tokens import TokenKey

SECRET = "sekret-token-value"
ROOT = str(Path(cryptshare_async.__file__).resolve().parents[1])

# A writer in its own process: FileTokenStore(argv[1]) sets keys argv[2]-0 .. argv[2]-(n-1).
# With argv[4] == "hang", it stops for good inside its first write (after writing the
# temporary file, before renaming it), as a writer killed at that moment would. Otherwise
# it announces itself with a file "<argv[2]>.ready" and starts once a file "go" exists, so
# that all writers really write at the same time.
WRITER = """
import asyncio, os, sys, time
from pathlib import Path
from cryptshare_async import FileTokenStore, StoredToken
from cryptshare_async._tokens import TokenKey
folder = Path(sys.argv[1]).parent
if sys.argv[4] == "hang":
    os.fsync = lambda fd: time.sleep(60)
else:
    (folder / f"{sys.argv[2]}.ready").touch()
    deadline = time.monotonic() + 30
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
async def main():
    store = FileTokenStore(sys.argv[1])
    for i in range(int(sys.argv[3])):
        key = TokenKey("https://s.example", "f" * 32, f"{sys.argv[2]}-{i}@example.org")
        await store.set(key, StoredToken(token=f"{sys.argv[2]}-{i}-sekret-token-value"))
asyncio.run(main())
"""


def key(name: str) -> TokenKey:
    return TokenKey("https://s.example", "f" * 32, f"{name}@example.org")


def writer(path: Path, prefix: str, count: int, mode: str = "run") -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": ROOT}
    args = [sys.executable, "-c", WRITER, str(path), prefix, str(count), mode]
    return subprocess.Popen(args, env=env)


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if ".tmp-" in p.name]


def stored_keys(path: Path) -> set[str]:
    return set(json.loads(path.read_text(encoding="utf-8")))


# ---------------------------------------------------------------- concurrent writers


def test_writers_in_four_processes_lose_no_key(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    children = [writer(path, f"p{n}", 20) for n in range(4)]
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("*.ready"))) < 4:
        assert time.monotonic() < deadline, "the writers did not start"
        time.sleep(0.01)
    (tmp_path / "go").touch()
    assert [child.wait(timeout=60) for child in children] == [0, 0, 0, 0]
    expected = {key(f"p{n}-{i}").as_string() for n in range(4) for i in range(20)}
    assert stored_keys(path) == expected
    assert temp_files(tmp_path) == []


async def test_two_instances_in_one_process_lose_no_key(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    first, second = FileTokenStore(path), FileTokenStore(path)

    async def fill(store: FileTokenStore, prefix: str) -> None:
        for i in range(30):
            await store.set(key(f"{prefix}{i}"), StoredToken(token=f"t{prefix}{i}"))
        for i in range(0, 30, 3):
            await store.delete(key(f"{prefix}{i}"))

    await asyncio.gather(fill(first, "a"), fill(second, "b"))
    expected = {key(f"{p}{i}").as_string() for p in "ab" for i in range(30) if i % 3}
    assert stored_keys(path) == expected
    assert await first.get(key("b4")) == StoredToken(token="tb4")


# ---------------------------------------------------------------- killed writers


@pytest.fixture
def killed_writer(tmp_path: Path) -> FileTokenStore:
    """A store made before a writer was killed with SIGKILL mid-write, and that writer's
    temporary file (private, holding a token)."""
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({key("pre").as_string(): {"token": "t", "valid_until": None}}))
    store = FileTokenStore(path)
    child = writer(path, "k", 1, mode="hang")
    try:
        deadline = time.monotonic() + 20
        while not any(p.stat().st_size for p in temp_files(tmp_path)):
            assert time.monotonic() < deadline, "the writer never started its write"
            assert child.poll() is None, "the writer ended early"
            time.sleep(0.02)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    (leftover,) = temp_files(tmp_path)
    assert stat.S_IMODE(leftover.stat().st_mode) == 0o600
    assert SECRET in leftover.read_text(encoding="utf-8")
    return store


@pytest.mark.parametrize("then", ["construct", "set", "delete"])
async def test_a_killed_writer_leaves_no_temp_file_behind(
    killed_writer: FileTokenStore, then: str
) -> None:
    if then == "construct":
        FileTokenStore(killed_writer.path)
    elif then == "set":
        await killed_writer.set(key("after"), StoredToken(token="t"))
    else:
        await killed_writer.delete(key("pre"))
    assert temp_files(killed_writer.path.parent) == []


# ---------------------------------------------------------------- damaged files


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe not utf-8", b"{not json", b"[1, 2]", b'"text"', b"[" * 100_000],
    ids=["not-utf8", "not-json", "list", "string", "deep"],
)
async def test_an_unreadable_file_is_reported_once_and_replaced_by_the_next_write(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    store = FileTokenStore(path)
    with caplog.at_level(logging.WARNING, logger="cryptshare_async"):
        assert await store.get(key("a")) is None
        assert await store.get(key("b")) is None
        await store.delete(key("a"))
    (record,) = caplog.records
    assert "treated as empty" in record.getMessage()
    assert path.read_bytes() == content  # only a write replaces it
    await store.set(key("a"), StoredToken(token="fresh"))
    assert await FileTokenStore(path).get(key("a")) == StoredToken(token="fresh")


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("just a string", "not a JSON object"),
        (["list"], "not a JSON object"),
        ({"token": 5}, "token is not"),
        ({"token": ""}, "token is not"),
        ({"valid_until": None}, "token is not"),
        ({"token": SECRET, "valid_until": 5}, "valid_until is not a string"),
        ({"token": SECRET, "valid_until": f"soon {SECRET}"}, "not an ISO 8601 date"),
        ({"token": SECRET, "valid_until": "2030-01-01T00:00:00"}, "no time zone"),
    ],
)
async def test_a_corrupt_entry_is_skipped_with_a_warning_and_no_secret(
    tmp_path: Path, entry: object, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    good = {"token": "good", "valid_until": "2030-01-01T00:00:00+00:00"}
    path.write_text(json.dumps({key("bad").as_string(): entry, key("ok").as_string(): good}))
    store = FileTokenStore(path)
    with caplog.at_level(logging.WARNING, logger="cryptshare_async"):
        assert await store.get(key("bad")) is None
        assert await store.get(key("bad")) is None
    (record,) = caplog.records
    assert problem in record.getMessage() and "bad@example.org" in record.getMessage()
    assert SECRET not in caplog.text
    until = datetime(2030, 1, 1, tzinfo=UTC)
    assert await store.get(key("ok")) == StoredToken(token="good", valid_until=until)
    await store.set(key("new"), StoredToken(token="n"))
    assert await store.get(key("ok")) == StoredToken(token="good", valid_until=until)


# ---------------------------------------------------------------- unusable locations


def in_unprivileged_process(action: Callable[[], None]) -> str:
    """Run ``action`` as user ``nobody`` when we are root (root may write anywhere);
    return the error message it raised ("" if none)."""
    if os.geteuid() != 0:
        try:
            action()
        except ConfigurationError as exc:
            return str(exc)
        return ""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read)
        message = ""
        try:
            os.setgid(65534)
            os.setuid(65534)
            action()
        except ConfigurationError as exc:
            message = str(exc)
        except BaseException as exc:
            message = f"unexpected {type(exc).__name__}"
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    return message


def test_a_folder_it_cannot_write_is_refused_at_construction() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as base:
        os.chmod(base, 0o755)
        locked = Path(base) / "locked"
        locked.mkdir(mode=0o555)
        os.chmod(locked, 0o555)
        for path in (locked / "tokens.json", locked / "sub" / "tokens.json"):
            message = in_unprivileged_process(lambda p=path: FileTokenStore(p))  # type: ignore[misc]
            assert "cannot write" in message and str(locked) in message


@pytest.mark.parametrize("layout", ["path-is-folder", "parent-is-file", "ancestor-is-file"])
def test_an_impossible_path_is_refused_at_construction(tmp_path: Path, layout: str) -> None:
    (tmp_path / "file").write_text("x")
    path = {
        "path-is-folder": tmp_path,
        "parent-is-file": tmp_path / "file" / "tokens.json",
        "ancestor-is-file": tmp_path / "file" / "deeper" / "tokens.json",
    }[layout]
    with pytest.raises(ConfigurationError, match="folder") as caught:
        FileTokenStore(path)
    assert isinstance(caught.value, ValueError)
    assert str(path) in str(caught.value)


async def test_a_location_that_breaks_later_raises_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tokens.json"
    store = FileTokenStore(path)
    (tmp_path / "sub").write_text("now a file")
    with pytest.raises(CryptshareError, match="could not be read or written") as caught:
        await store.set(key("a"), StoredToken(token=SECRET))
    assert SECRET not in str(caught.value)


# ---------------------------------------------------------------- removing


async def test_discard_removes_only_the_named_token_and_delete_writes_only_if_needed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sub" / "tokens.json"
    store, other = FileTokenStore(path), FileTokenStore(path)
    await store.delete(key("a"))
    await store.discard(key("a"), "x")
    assert not path.parent.exists()  # nothing to remove: nothing made
    await store.set(key("a"), StoredToken(token="old"))
    await other.set(key("a"), StoredToken(token="new"))  # another writer, meanwhile
    await store.discard(key("a"), "old")
    assert await store.get(key("a")) == StoredToken(token="new")
    await store.discard(key("a"), "new")
    assert await other.get(key("a")) is None


# ---------------------------------------------------------------- leftovers by age


def leftover(folder: Path, name: str, *, age: float) -> Path:
    path = folder / name
    path.write_text(SECRET)
    moment = time.time() - age
    os.utime(path, (moment, moment))
    return path


async def test_old_leftovers_of_earlier_versions_are_removed_recent_ones_kept(
    tmp_path: Path,
) -> None:
    old = leftover(tmp_path, ".tokens-ab12cd34", age=3600)
    recent = leftover(tmp_path, ".tokens-ef56gh78", age=1)
    unrelated = leftover(tmp_path, ".tokens-notes.txt", age=3600)
    await FileTokenStore(tmp_path / "tokens.json").set(key("a"), StoredToken(token="t"))
    assert not old.exists() and recent.exists() and unrelated.exists()


async def test_without_fcntl_one_process_is_still_safe_and_only_old_temp_files_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cryptshare_async._file_lock.CROSS_PROCESS", False)
    monkeypatch.setattr("cryptshare_async._tokens.CROSS_PROCESS", False)
    path = tmp_path / "tokens.json"
    old = leftover(tmp_path, ".tokens.json.tmp-old", age=3600)
    live = leftover(tmp_path, ".tokens.json.tmp-live", age=0)  # another process's write
    stores = [FileTokenStore(path), FileTokenStore(path)]

    async def fill(store: FileTokenStore, prefix: str) -> None:
        for i in range(15):
            await store.set(key(f"{prefix}{i}"), StoredToken(token="t"))

    await asyncio.gather(fill(stores[0], "a"), fill(stores[1], "b"))
    assert stored_keys(path) == {key(f"{p}{i}").as_string() for p in "ab" for i in range(15)}
    assert not old.exists() and live.exists()
    assert not path.with_name("tokens.json.lock").exists()
