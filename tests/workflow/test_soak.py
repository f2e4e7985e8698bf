"""The fault soak, short (``benchmarks/fault_soak.py`` runs the long one), and the
clean-ups it showed must ride out transient failures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from cryptshare_async import (
    BytesSource,
    CryptshareClient,
    CryptshareError,
    Sender,
    SendResult,
    ServerError,
    SQLiteJournal,
    _cleanup,
)
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import BOB, open_sessions, transfers_by_file
from .test_send_many import _crashed_before_finalize, exactly_once, job

ROOT = Path(__file__).resolve().parents[2]


def _soak_module() -> ModuleType:
    name = "cryptshare_fault_soak"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "fault_soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


async def test_a_short_soak_under_every_fault_kind_has_zero_counts(tmp_path: Path) -> None:
    soak = _soak_module()
    config = soak.SoakConfig(
        seed=20261202,
        sends=24,
        concurrency=4,
        fault_rate=0.25,
        size=6000,
        read_timeout=0.3,
        batch_jobs=6,
        kills=1,
    )
    report = await soak.soak(config, tmp_path)
    assert report.zero_counts() == dict.fromkeys(soak.REQUIRED_ZERO, 0), report.lines
    counts = report.counts
    assert counts["delivered"] + counts["failed"] + counts["unresolved"] == config.sends
    assert counts["delivered"] >= config.sends // 2  # the faults did not stop everything
    assert len(report.faults) >= 6, report.faults  # most kinds met in a short run
    assert counts["batch jobs failed"] == 0


def test_the_fault_rules_share_the_rate_between_every_kind() -> None:
    soak = _soak_module()
    rules = soak.fault_rules(0.18, 1.0, 1000)
    assert [label for label, _ in rules] == [
        "drop-body",
        *[kind for kind in soak.FAULT_KINDS if kind != "drop-body"],
    ]
    # Rule i fires with p_i on what the rules before it left: each takes rate / kinds.
    left, taken = 1.0, []
    for _, rule in rules[1:]:
        taken.append(left * rule.probability)
        left -= left * rule.probability
    assert taken == pytest.approx([0.02] * 8)


# ---------------------------------------------------------------- clean-ups under faults


@pytest.fixture(autouse=True)
def _quick_cleanup_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cleanup, "_PAUSE", 0.01)


@pytest.mark.parametrize(
    "faults",
    [
        [FaultRule(method="DELETE", status=500, times=2)],
        [FaultRule(method="DELETE", status=429, retry_after=0.01, times=1)],
        [FaultRule(method="DELETE", lose_answer="truncate", times=1)],
        [
            FaultRule(method="DELETE", status=500, times=1),
            FaultRule(method="DELETE", lose_answer="drop", times=1),
        ],
    ],
    ids=["500-twice", "429", "truncated-answer", "500-then-lost-answer"],
)
async def test_a_failed_send_deletes_its_session_through_transient_faults(
    emu: Emulator, client: CryptshareClient, alice: Sender, faults: list[FaultRule]
) -> None:
    emu.add_fault(FaultRule(method="PUT", path="*/content", status=500, times=1))
    for rule in faults:
        emu.add_fault(rule)
    with pytest.raises(ServerError):
        await alice.send([BytesSource(b"x" * 5000, name="a.bin")], to=[BOB], name="A", phone="1")
    assert open_sessions(emu) == []
    assert client.cleanup_failures == ()
    assert transfers_by_file(emu) == {}


async def test_a_failed_upload_removes_its_file_through_a_transient_fault(
    emu: Emulator, client: CryptshareClient, alice: Sender
) -> None:
    """The file is removed, so the session stays usable (not broken) and is finalized."""
    async with alice.session(to=[BOB], name="A", phone="1") as session:
        emu.add_fault(FaultRule(method="PUT", path="*/content", status=500, times=1))
        emu.add_fault(FaultRule(method="DELETE", path="*/files/*", status=503, times=3))
        with pytest.raises(ServerError):
            await session.upload(BytesSource(b"y" * 5000, name="b.bin"))
        assert emu.store.sessions[session.tracking_id].files == {}
        await session.upload(BytesSource(b"y" * 5000, name="b.bin"))
        await session.finalize()
    assert transfers_by_file(emu) == {"b.bin": 1}
    assert client.cleanup_failures == ()


@pytest.mark.parametrize(
    "fault",
    [
        FaultRule(method="DELETE", status=500, times=2),
        FaultRule(method="DELETE", status=429, retry_after=0.01, times=1),
        FaultRule(method="DELETE", lose_answer="drop", times=1),
    ],
    ids=["500-twice", "429", "lost-answer"],
)
async def test_a_leftover_session_is_deleted_through_transient_faults(
    emu: Emulator, alice: Sender, tmp_path: Path, fault: FaultRule
) -> None:
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        await _crashed_before_finalize(alice, journal, 0)
        await journal.release("job-0")
        emu.add_fault(fault)
        results = await alice.send_many([job(0)], journal=journal)
    assert isinstance(results[0], SendResult)
    assert open_sessions(emu) == []
    exactly_once(emu, 1)


async def test_a_leftover_session_that_cannot_be_deleted_fails_the_job_until_a_rerun(
    emu: Emulator, alice: Sender, tmp_path: Path
) -> None:
    """Sending again would leave the old session, with its content, behind."""
    async with SQLiteJournal(tmp_path / "j.db") as journal:
        left = await _crashed_before_finalize(alice, journal, 0)
        await journal.release("job-0")
        emu.add_fault(FaultRule(method="DELETE", status=500))
        [failed] = await alice.send_many([job(0)], journal=journal)
        assert isinstance(failed, CryptshareError)
        assert left in str(failed) and "run the batch again" in str(failed)
        assert open_sessions(emu) == [left] and transfers_by_file(emu) == {}
        record = await journal.get("job-0")
        assert record is not None and record.tracking_id == left and record.outcome is None
        emu.clear_faults()
        [result] = await alice.send_many([job(0)], journal=journal)
    assert isinstance(result, SendResult)
    assert open_sessions(emu) == []
    exactly_once(emu, 1)
