"""``send-batch``: one transfer per JSON line; every line checked before anything is sent;
with ``--journal`` a re-run sends nothing twice."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from cryptshare_async.testing import Emulator, FaultRule

from .conftest import BOB, CAROL, Cli

NAME_PHONE = ("--name", "Payroll", "--phone", "+49 1")


def write_jobs(folder: Path, jobs: list[Any]) -> Path:
    path = folder / "jobs.jsonl"
    path.write_text("".join(json.dumps(j) + "\n" for j in jobs) + "\n")
    return path


@pytest.fixture
def slips(tmp_path: Path) -> Path:
    folder = tmp_path / "batch"
    (folder / "out").mkdir(parents=True)
    for n in range(3):
        (folder / "out" / f"slip-{n}.pdf").write_bytes(bytes([n]) * (1000 + n))
    return folder


def jobs_for(count: int) -> list[dict[str, Any]]:
    return [
        {"key": f"slip-{n}", "files": [f"out/slip-{n}.pdf"], "to": [BOB if n % 2 else CAROL]}
        for n in range(count)
    ]


def sent_files(emu: Emulator) -> Counter[str]:
    return Counter(f.name for t in emu.store.transfers.values() for f in t.files.values())


async def test_each_line_becomes_one_transfer(cli: Cli, slips: Path) -> None:
    jobs = jobs_for(3)
    jobs[0].update(
        to=["dave@example.org"],
        password_mode="none",
        expiration="3d",
        subject="Slip",
        message="Yours",
    )
    result = await cli("send-batch", str(write_jobs(slips, jobs)), *NAME_PHONE)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert [line.split()[:2] for line in lines] == [[f"slip-{n}", "sent"] for n in range(3)]
    assert sent_files(cli.emu) == {f"slip-{n}.pdf": 1 for n in range(3)}
    assert "3 of 3 job(s) sent, 0 failed" in result.err
    first = lines[0].split()[-1]
    mail = cli.emu.outbox.latest(kind="recipient_notification", to="dave@example.org")
    assert mail.subject == "Slip"
    assert first in cli.emu.store.transfers


async def test_json_output_and_a_re_run_with_the_journal_sends_nothing_twice(
    cli: Cli, slips: Path
) -> None:
    path = str(write_jobs(slips, jobs_for(3)))
    journal = str(slips / "state.db")
    first = await cli("--json", "send-batch", path, "--journal", journal, *NAME_PHONE)
    assert first.code == 0, first.err
    documents = first.json_lines()
    assert [d["key"] for d in documents] == ["slip-0", "slip-1", "slip-2"]
    assert not any(d["from_journal"] for d in documents)
    again = await cli("--json", "send-batch", path, "--journal", journal, *NAME_PHONE)
    assert again.code == 0, again.err
    assert [d["from_journal"] for d in again.json_lines()] == [True] * 3
    assert [d["tracking_id"] for d in again.json_lines()] == [d["tracking_id"] for d in documents]
    assert sent_files(cli.emu) == {f"slip-{n}.pdf": 1 for n in range(3)}


async def test_a_failing_job_is_reported_and_the_others_are_sent(cli: Cli, slips: Path) -> None:
    cli.emu.add_fault(FaultRule(method="PUT", path="*/content", status=400, times=1))
    result = await cli(
        "send-batch", str(write_jobs(slips, jobs_for(3))), *NAME_PHONE, "--concurrency", "1"
    )
    assert result.code == 1
    assert [line.split()[1] for line in result.out.splitlines()] == ["failed", "sent", "sent"]
    assert "2 of 3 job(s) sent, 1 failed" in result.err
    assert cli.emu.store.sessions == {}
    assert sent_files(cli.emu) == {"slip-1.pdf": 1, "slip-2.pdf": 1}


async def test_the_journal_resumes_after_a_lost_finalize_answer(cli: Cli, slips: Path) -> None:
    cli.emu.add_fault(
        FaultRule(
            method="POST",
            path=r"/api/users/[^/]+/transfer-sessions/[^/]+",
            regex=True,
            lose_answer="drop",
            times=1,
        )
    )
    path, journal = str(write_jobs(slips, jobs_for(2))), str(slips / "state.db")
    result = await cli("send-batch", path, "--journal", journal, *NAME_PHONE)
    assert result.code == 0, result.err
    assert sent_files(cli.emu) == {"slip-0.pdf": 1, "slip-1.pdf": 1}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "a job is a JSON object"),
        ('{"files": ["out/slip-0.pdf"], "to": ["bob@example.org"]}', '"key"'),
        ('{"key": "a", "to": ["bob@example.org"]}', '"files"'),
        ('{"key": "a", "files": ["out/nope.pdf"], "to": ["bob@example.org"]}', "no such file"),
        ('{"key": "a", "files": ["out/slip-0.pdf"]}', "at least one recipient"),
        ('{"key": "a", "files": ["out/slip-0.pdf"], "to": ["bob-at-x"]}', "bob-at-x"),
        ('{"key": "a", "files": ["out/slip-0.pdf"], "to": ["b@x.org"], "tp": 1}', "unknown"),
        (
            '{"key": "a", "files": ["out/slip-0.pdf"], "to": ["b@x.org"], "password": "s3"}',
            "password",
        ),
        (
            '{"key": "a", "files": ["out/slip-0.pdf"], "to": ["b@x.org"],'
            ' "password_mode": "manual"}',
            "password_mode",
        ),
        (
            '{"key": "a", "files": ["out/slip-0.pdf"], "to": ["b@x.org"], "expiration": "soon"}',
            "expiration",
        ),
        (
            '{"key": "a", "files": ["out/slip-0.pdf"], "to": ["b@x.org"], "subject": "x"}',
            "together",
        ),
    ],
)
async def test_a_bad_line_is_refused_before_anything_is_sent(
    cli: Cli, slips: Path, line: str, message: str
) -> None:
    good = json.dumps(jobs_for(1)[0])
    path = slips / "jobs.jsonl"
    path.write_text(f"{good}\n{line}\n")
    result = await cli("send-batch", str(path), *NAME_PHONE)
    assert result.code == 2, result.err
    assert "jobs.jsonl line 2: " in result.err and message in result.err
    assert "s3" not in result.err
    assert cli.emu.requests == []


async def test_duplicate_keys_an_empty_file_and_no_contact_are_refused(
    cli: Cli, slips: Path
) -> None:
    twice = write_jobs(slips, jobs_for(1) * 2)
    result = await cli("send-batch", str(twice), *NAME_PHONE)
    assert result.code == 2 and "appears twice" in result.err
    empty = slips / "empty.jsonl"
    empty.write_text("\n\n")
    result = await cli("send-batch", str(empty), *NAME_PHONE)
    assert result.code == 2 and "holds no job" in result.err
    result = await cli("send-batch", str(write_jobs(slips, jobs_for(1))))
    assert result.code == 2 and "no sender name" in result.err
    result = await cli("send-batch", str(slips / "missing.jsonl"), *NAME_PHONE)
    assert result.code == 1 and "no such file" in result.err
    assert cli.emu.requests == []
