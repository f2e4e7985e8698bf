"""Reusing the files of deleted content (``recycle_content_bytes``): the pool's bounds, and
uploads written over an old, longer file keep exactly their own bytes, on both receive
paths. Off by default: deleted content is deleted at once."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from cryptshare_async.testing import Emulator, EmulatorConfig
from cryptshare_async.testing.__main__ import main as console_main
from cryptshare_async.testing._recycle import ContentRecycler

from .conftest import SENDER, Api

MIB = 1024 * 1024


def _write(path: Path, size: int) -> Path:
    path.write_bytes(b"o" * size)
    return path


def test_pool_keeps_files_up_to_its_capacity_and_deletes_the_rest(tmp_path: Path) -> None:
    recycler = ContentRecycler(tmp_path / "pool", capacity=10)
    recycler.discard(_write(tmp_path / "a", 6))
    recycler.discard(_write(tmp_path / "b", 5))  # 6 + 5 > 10: deleted
    recycler.discard(_write(tmp_path / "c", 4))
    recycler.discard(_write(tmp_path / "empty", 0))  # nothing worth keeping
    recycler.discard(tmp_path / "missing")
    recycler.discard(None)
    assert recycler.held_bytes == 10
    assert sorted(p.stat().st_size for p in (tmp_path / "pool").iterdir()) == [4, 6]
    assert not any((tmp_path / n).exists() for n in ("a", "b", "c", "empty"))


def test_reused_file_is_the_latest_and_is_opened_without_truncation(tmp_path: Path) -> None:
    recycler = ContentRecycler(tmp_path / "pool", capacity=100)
    recycler.discard(_write(tmp_path / "a", 6))
    recycler.discard(_write(tmp_path / "b", 9))
    fd = recycler.open_for_writing(tmp_path / "new")
    try:
        os.write(fd, b"xy")
        os.ftruncate(fd, 2)
    finally:
        os.close(fd)
    assert (tmp_path / "new").read_bytes() == b"xy"
    assert recycler.held_bytes == 6
    assert oct((tmp_path / "new").stat().st_mode & 0o777) == "0o600"


def test_uploads_in_flight_are_deleted_never_kept(tmp_path: Path) -> None:
    recycler = ContentRecycler(tmp_path / "pool", capacity=100)
    directory = tmp_path / "session"
    directory.mkdir()
    _write(directory / "done", 5)
    _write(directory / "done.abc.part", 7)  # still being written by a PUT
    recycler.discard_tree(directory)
    assert not directory.exists()
    assert recycler.held_bytes == 5
    assert [p.stat().st_size for p in (tmp_path / "pool").iterdir()] == [5]


def test_without_capacity_nothing_is_kept(tmp_path: Path) -> None:
    recycler = ContentRecycler(tmp_path / "pool", capacity=0)
    directory = tmp_path / "session"
    directory.mkdir()
    _write(directory / "f", 5)
    recycler.discard_tree(directory)
    fd = recycler.open_for_writing(tmp_path / "new")
    os.close(fd)
    assert not directory.exists() and not (tmp_path / "pool").exists()
    assert (tmp_path / "new").stat().st_size == 0 and recycler.held_bytes == 0


def test_capacity_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="recycle_content_bytes must be an int >= 0"):
        EmulatorConfig(recycle_content_bytes=-1)
    with pytest.raises(SystemExit):
        console_main(["--recycle-content-mib", "-1"])


@pytest.fixture(params=[1 * MIB, None], ids=["direct", "aiohttp"])
async def recycling_api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    config = EmulatorConfig(
        processing_seconds=0.0,
        storage_dir=tmp_path,
        recycle_content_bytes=64 * MIB,
        direct_receive_min_bytes=request.param,
    )
    async with Emulator(config) as emu, aiohttp.ClientSession() as http:
        yield Api(emu, http)


async def test_upload_over_a_longer_deleted_file_keeps_only_its_own_bytes(
    recycling_api: Api,
) -> None:
    api, store = recycling_api, recycling_api.emu.store
    token = await api.token()
    first = await api.session(token)
    await api.add_file(token, first, "old.bin", os.urandom(5 * MIB))
    status, _, _ = await api.call(
        "DELETE", f"/api/users/{SENDER}/transfer-sessions/{first}", token=token
    )
    assert status == 204
    assert store.recycler.held_bytes == 5 * MIB

    content = os.urandom(2 * MIB + 7)
    digest = hashlib.sha256(content).hexdigest()
    tracking_id = await api.session(token)
    await api.add_file(token, tracking_id, "new.bin", content, checksum=digest)
    assert store.recycler.held_bytes == 0  # the old file was written over
    await api.finalize(token, tracking_id)
    await api.emu.wait_processed(tracking_id)
    transfer = api.emu.transfer(tracking_id)
    (stored,) = transfer.files.values()
    assert stored.path is not None and stored.path.read_bytes() == content
    assert transfer.state == "ACTIVE" and stored.removal is None  # checksum verified


async def test_deleted_content_is_deleted_at_once_by_default(api: Api, token: str) -> None:
    tracking_id = await api.session(token)
    await api.add_file(token, tracking_id, "f.bin", os.urandom(2 * MIB))
    status, _, _ = await api.call(
        "DELETE", f"/api/users/{SENDER}/transfer-sessions/{tracking_id}", token=token
    )
    assert status == 204
    assert api.emu.store.recycler.held_bytes == 0
    assert not (api.emu.storage_dir / ".recycle").exists()
    assert not (api.emu.storage_dir / tracking_id).exists()


async def test_content_of_a_finalized_transfer_is_never_recycled(tmp_path: Path) -> None:
    """A transfer's files may be being downloaded or checked: they are deleted outright."""
    config = EmulatorConfig(
        processing_seconds=0.0, storage_dir=tmp_path, recycle_content_bytes=64 * MIB
    )
    async with Emulator(config) as emu, aiohttp.ClientSession() as http:
        api = Api(emu, http)
        token = await api.token()
        tracking_id = await api.send(token, {"f.bin": os.urandom(2 * MIB)})
        emu.admin_delete(tracking_id)
        assert emu.transfer(tracking_id).state == "DELETED_BY_ADMIN"
        assert emu.store.recycler.held_bytes == 0
        assert not (emu.storage_dir / ".recycle").exists()
