"""Fault soak: logical sends under every fault the emulator injects, then a journaled
batch killed (``kill -9``) and resumed at random points. Prints the counts that must be 0.

Part 1, logical sends. ``--sends`` one-file sends, ``--concurrency`` at a time, through
the one-call send, against an emulator (in this process) whose fault rules hit about
``--fault-rate`` of all API requests, spread evenly over every kind it can inject:

* ``500`` / ``503`` / ``429`` answers (with the spec's error body; 429 with Retry-After);
* ``delay``: a pure latency of 50 ms;
* ``timeout``: a delay longer than the client's read timeout (the client gives up, the
  emulator then handles the request anyway);
* ``drop-body``: the connection dropped halfway through a file's content;
* ``lose-drop`` / ``lose-truncate`` / ``lose-502``: the emulator handles the request
  completely, then drops the connection, truncates the body, or sends an HTML 502.

The caller retries each logical send up to 3 times, the way a user would: after an error
it reads the tracking ids the error names (an attribute, or its notes) and the status of
each; a transfer found is the send's result (it is never sent again); a status that
cannot be read stops the retries ("unresolved"); otherwise it sends again.

Part 2, a journaled batch. ``--batch-jobs`` jobs through ``send_many`` with an
``SQLiteJournal`` in a child process, under the same faults, killed with SIGKILL after a
random number of API requests, ``--kills`` times, then run to the end in this process
(again while jobs fail on faults, up to ``MAX_RUNS`` runs). All runs share the journal
file and a ``FileTokenStore``.

Counts (what the emulator holds at the end, after waiting out delayed requests):

* lost: a send the caller was told succeeded without a complete transfer behind it;
* duplicates: transfers beyond the first for one logical send;
* delivered after failure: transfers for sends the caller was told failed;
* orphan sessions: sessions left holding a file; orphan files: a transfer with files it
  should not have, or with incomplete content. Sessions left *empty* are counted apart:
  a create whose answer was lost (or timed out) leaves one that nobody can name; it holds
  nothing and expires (issue 10, "Create");
* leaks, measured after the client closed: tasks, ``cryptshare-*`` threads, file
  descriptors (against the count before the client opened), and sockets to the emulator.

Seeded: the same ``--seed`` gives the same data, fault decisions and kill points. With
``--concurrency 1`` the order of requests, and so the faults each one meets, repeat
exactly (timing faults aside); with more, the interleaving varies from run to run.

Usage::

    python benchmarks/fault_soak.py                          # 200 sends, 15 % faults
    python benchmarks/fault_soak.py --sends 400 --fault-rate 0.2 --seed 7
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cryptshare_async
from cryptshare_async import (
    BytesSource,
    CryptshareClient,
    CryptshareError,
    FileTokenStore,
    NotFoundError,
    SendJob,
    SendResult,
    SQLiteJournal,
    Timeouts,
)
from cryptshare_async.testing import Emulator, EmulatorConfig, FaultRule

SENDER = "soak@example.com"
RECIPIENT = "bob@example.org"
ROOT = Path(cryptshare_async.__file__).resolve().parent.parent
#: Tracking ids as the emulator makes them (``20261202-042631-HRqrcKrv``).
TRACKING_ID = re.compile(r"\b\d{8}-\d{6}-[A-Za-z0-9]+\b")
EMPTY = "empty sessions (lost create answers)"
#: The counts that must be 0.
REQUIRED_ZERO = (
    "lost",
    "duplicates",
    "delivered after failure",
    "orphan sessions",
    "orphan files",
    "leaked tasks",
    "leaked threads",
    "leaked fds",
    "leaked sockets",
    "unexplained empty sessions",
)
#: Fault kinds after which the emulator has acted on the request (or will, after a delay).
ACTED = frozenset({"timeout", "lose-drop", "lose-truncate", "lose-502"})
BATCH_CONCURRENCY = 4
#: Runs of the batch after the kills, at most (under faults some jobs fail each run).
MAX_RUNS = 12
FAULT_KINDS = (
    "500",
    "503",
    "429",
    "delay",
    "timeout",
    "drop-body",
    "lose-drop",
    "lose-truncate",
    "lose-502",
)
#: What each caller was told, per key: ("delivered" | "failed" | "unresolved", tracking id).
Verdicts = dict[str, tuple[str, "str | None"]]
#: API requests of one send: create, GET of the session, register, PUT, finalize (+ retries).
REQUESTS_PER_SEND = 6


@dataclass(frozen=True)
class SoakConfig:
    seed: int = 1
    sends: int = 200
    concurrency: int = 8
    fault_rate: float = 0.15
    size: int = 20_000
    read_timeout: float = 1.0
    batch_jobs: int = 40
    kills: int = 3


def fault_rules(rate: float, read_timeout: float, size: int) -> list[tuple[str, FaultRule]]:
    """One rule per kind; each kind fires on about ``rate / kinds`` of the API requests.

    The injector tries the rules in order and the first that fires wins, so each rule's
    probability is raised by what the rules before it take. ``drop-body`` matches only
    the content uploads (one request in about :data:`REQUESTS_PER_SEND`), so it comes
    first, with its probability scaled up by that.
    """
    share = rate / len(FAULT_KINDS)
    rules = [
        (
            "drop-body",
            FaultRule(
                method="PUT",
                path="*/content",
                drop_after_bytes=size // 2,
                probability=min(1.0, share * REQUESTS_PER_SEND),
            ),
        )
    ]
    others: list[tuple[str, dict[str, Any]]] = [
        ("500", {"status": 500}),
        ("503", {"status": 503}),
        ("429", {"status": 429, "retry_after": 0.05}),
        ("delay", {"delay": 0.05}),
        ("timeout", {"delay": read_timeout + 0.5}),
        ("lose-drop", {"lose_answer": "drop"}),
        ("lose-truncate", {"lose_answer": "truncate"}),
        ("lose-502", {"lose_answer": "bad_gateway"}),
    ]
    left = 1.0  # the share of requests no earlier rule took
    for label, options in others:
        rules.append(
            (label, FaultRule(path="/api/*", probability=min(1.0, share / left), **options))
        )
        left -= share
    return rules


def kind_of(rule: FaultRule, rules: list[tuple[str, FaultRule]]) -> str:
    return next(label for label, candidate in rules if candidate == rule)


# ---------------------------------------------------------------- the caller


@dataclass
class Outcome:
    key: str
    verdict: str  # delivered | failed | unresolved
    tracking_id: str | None = None
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    #: Delivered, as the status of a tracking id an error named showed (not resent).
    found_after_error: bool = False


def named_tracking_ids(exc: BaseException) -> list[str]:
    """Tracking ids an error names: an attribute of it (or of its causes), or its notes."""
    found: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for name in ("transfer", "tracking_id"):
            value = getattr(current, name, None)
            value = getattr(value, "tracking_id", value)
            if isinstance(value, str):
                found.append(value)
        for note in getattr(current, "__notes__", ()):
            found.extend(TRACKING_ID.findall(note))
        current = current.__cause__ or current.__context__
    return list(dict.fromkeys(found))


async def transfer_exists(sender: Any, tracking_id: str) -> bool | None:
    """Whether the transfer exists (None: the status could not be read, 5 tries)."""
    for attempt in range(5):
        try:
            await sender.transfer(tracking_id).status()
        except NotFoundError:
            return False
        except CryptshareError:
            await asyncio.sleep(0.1 * (attempt + 1))
            continue
        return True
    return None


def one_call_send(sender: Any) -> Callable[..., Awaitable[SendResult]]:
    """``Sender.send_files`` (issue 10 groundwork) or, once renamed, ``Sender.send``."""
    send: Callable[..., Awaitable[SendResult]] = getattr(sender, "send_files", None) or sender.send
    return send


async def logical_send(sender: Any, key: str, data: bytes) -> Outcome:
    outcome = Outcome(key, "failed")
    send = one_call_send(sender)
    for attempt in range(1, 4):
        outcome.attempts = attempt
        try:
            result = await send(
                [BytesSource(data, name=f"{key}.bin")], to=[RECIPIENT], name="Soak", phone="1"
            )
        except CryptshareError as exc:
            outcome.errors.append(type(exc).__name__)
            for tracking_id in named_tracking_ids(exc):
                exists = await transfer_exists(sender, tracking_id)
                if exists:
                    outcome.verdict, outcome.tracking_id = "delivered", tracking_id
                    outcome.found_after_error = True
                    return outcome
                if exists is None:
                    outcome.verdict = "unresolved"
                    return outcome
            continue
        outcome.verdict, outcome.tracking_id = "delivered", result.tracking_id
        return outcome
    return outcome


# ---------------------------------------------------------------- leak probes


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def sockets_to(port: int) -> int:
    """This process's TCP sockets whose peer is 127.0.0.1:``port`` (the client's side)."""
    inodes = set()
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{name}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                parts = line.split()
                remote_port = int(parts[2].rsplit(":", 1)[1], 16)
                if remote_port == port and parts[9] in inodes:
                    count += 1
    return count


def our_threads() -> list[str]:
    return [
        t.name
        for t in threading.enumerate()
        if t.name.startswith("cryptshare") and not t.name.startswith("cryptshare-emulator")
    ]


def client_tasks() -> list[asyncio.Task[Any]]:
    """Tasks of ours, not of the in-process emulator's server."""
    tasks = []
    for task in asyncio.all_tasks():
        if task is asyncio.current_task():
            continue
        code = getattr(task.get_coro(), "cr_code", None)
        filename = code.co_filename if code is not None else ""
        if "aiohttp/web" in filename or "cryptshare_async/testing" in filename:
            continue
        tasks.append(task)
    return tasks


async def settle(check: Callable[[], bool], seconds: float = 3.0) -> None:
    """Give closing sockets and ending threads a moment."""
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:  # noqa: ASYNC110 - polled state
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------- the batch child


def batch_jobs(config: SoakConfig) -> list[SendJob]:
    rng = random.Random(config.seed * 7919 + 1)
    return [
        SendJob(
            f"batch-{n}",
            [BytesSource(rng.randbytes(config.size), name=f"batch-{n}.bin")],
            to=[RECIPIENT],
            name="Soak",
            phone="1",
        )
        for n in range(config.batch_jobs)
    ]


async def batch_child(url: str, client_id: str, folder: Path, config: SoakConfig) -> None:
    """Run the batch once in a child process; print what each job gave."""
    random.seed(config.seed)
    summary = await run_batch_once(url, client_id, folder, config)
    print("RESULT " + json.dumps(summary), flush=True)


async def run_batch_once(
    url: str, client_id: str, folder: Path, config: SoakConfig
) -> dict[str, Any]:
    """Run the batch once: ``{"sent": {key: tracking id}, "failed": {key: error}}``."""
    store = FileTokenStore(folder / "tokens.json")
    timeouts = Timeouts(read=config.read_timeout)
    async with (
        CryptshareClient(url, client_id=client_id, token_store=store, timeouts=timeouts) as client,
        SQLiteJournal(folder / "journal.db") as journal,
    ):
        jobs = batch_jobs(config)
        results = await client.sender(SENDER).send_many(
            jobs, journal=journal, concurrency=BATCH_CONCURRENCY
        )
    summary = {
        "sent": {
            job.key: r.tracking_id
            for job, r in zip(jobs, results, strict=True)
            if isinstance(r, SendResult)
        },
        "failed": {
            job.key: type(r).__name__
            for job, r in zip(jobs, results, strict=True)
            if not isinstance(r, SendResult)
        },
    }
    return summary


async def run_batch_child(
    emu: Emulator, folder: Path, config: SoakConfig, kill_after: int | None
) -> dict[str, Any] | None:
    """One run of the batch in a child process, killed with SIGKILL once the emulator
    has seen ``kill_after`` more API requests (None: run to the end)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CS_SOAK_CLIENT_ID": emu.client_id}
    args = [
        __file__,
        "--batch-child",
        emu.url,
        str(folder),
        json.dumps(config.__dict__),
    ]
    start = len(emu.requests)
    child = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT
    )
    try:
        if kill_after is not None:
            async with asyncio.timeout(120):
                while len(emu.requests) - start < kill_after and child.returncode is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.002)
            if child.returncode is None:
                child.send_signal(signal.SIGKILL)
        async with asyncio.timeout(300):
            output, _ = await child.communicate()
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    for line in output.decode().splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    return None  # killed before the end


# ---------------------------------------------------------------- the soak


@dataclass
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)

    def zero_counts(self) -> dict[str, int]:
        return {name: self.counts[name] for name in REQUIRED_ZERO}

    @property
    def ok(self) -> bool:
        return not any(self.zero_counts().values())


def expected_content(config: SoakConfig) -> dict[str, bytes]:
    rng = random.Random(config.seed)
    return {f"send-{n}": rng.randbytes(config.size) for n in range(config.sends)}


def judge(
    emu: Emulator,
    expected: dict[str, bytes],
    verdicts: Verdicts,
    report: Report,
) -> None:
    """Compare what the callers were told with what the emulator holds (for the
    transfers of these keys; :func:`count_leftovers` looks at the rest)."""
    by_key: dict[str, list[Any]] = {key: [] for key in expected}
    counts = report.counts
    for transfer in emu.store.transfers.values():
        names = [f.name.removesuffix(".bin") for f in transfer.files.values()]
        if len(names) != 1 or names[0] not in expected:
            continue
        key = names[0]
        (stored,) = transfer.files.values()
        data = expected[key]
        content = stored.path.read_bytes() if stored.path is not None else b""
        if (
            stored.received != len(data)
            or hashlib.sha256(content).digest() != hashlib.sha256(data).digest()
        ):
            counts["orphan files"] += 1  # incomplete or wrong content
        by_key[key].append(transfer)
    for key, (verdict, tracking_id) in verdicts.items():
        made = by_key[key]
        counts[verdict] += 1
        counts["duplicates"] += max(0, len(made) - 1)
        if verdict == "delivered" and tracking_id not in {t.tracking_id for t in made}:
            counts["lost"] += 1
        if verdict == "failed" and made:
            counts["delivered after failure"] += 1


def count_leftovers(
    emu: Emulator, rules: list[tuple[str, FaultRule]], kills: int, report: Report
) -> None:
    """Transfers with no file or several (each send has one), and the sessions left.

    An empty session is explained by a create the emulator acted on while its answer
    was lost (or came after the client's timeout), or by a create in flight when a
    batch child was killed (at most ``BATCH_CONCURRENCY`` per kill).
    """
    for transfer in emu.store.transfers.values():
        if len(transfer.files) != 1:
            report.counts["orphan files"] += 1
    for session in emu.store.sessions.values():
        if session.files:
            report.counts["orphan sessions"] += 1
        else:
            report.counts[EMPTY] += 1
    lost_creates = sum(
        1
        for fired in emu.fired_faults
        if fired.method == "POST"
        and fired.path.endswith("/transfer-sessions")
        and kind_of(fired.rule, rules) in ACTED
    )
    explained = lost_creates + BATCH_CONCURRENCY * kills
    report.counts["unexplained empty sessions"] = max(0, report.counts[EMPTY] - explained)
    report.lines.append(
        f"empty sessions left {report.counts[EMPTY]}: creates whose answer was lost"
        f" {lost_creates}, batch kills {kills} (at most {BATCH_CONCURRENCY} creates each)"
    )


async def soak(config: SoakConfig, folder: Path) -> Report:
    random.seed(config.seed)  # the retry policy's jitter
    report = Report()
    rules = fault_rules(config.fault_rate, config.read_timeout, config.size)
    emulator_config = EmulatorConfig(
        processing_seconds=0.0,
        seed=config.seed,
        storage_dir=folder / "emulator",
        request_log_size=1_000_000,
    )
    async with Emulator(emulator_config) as emu:
        port = int(emu.url.rsplit(":", 1)[1])
        fds_before = fd_count()
        expected, verdicts = await run_sends(emu, config, rules, report)
        kills = 0
        if config.batch_jobs:
            batch_expected, batch_verdicts, kills = await run_batch(
                emu, config, folder, rules, report
            )
        emu.clear_faults()
        await asyncio.sleep(config.read_timeout + 1.0)  # delayed requests land meanwhile
        await settle(lambda: not client_tasks() and not our_threads() and not sockets_to(port))
        await settle(lambda: fd_count() <= fds_before)
        report.counts["leaked tasks"] = len(client_tasks())
        report.counts["leaked threads"] = len(our_threads())
        report.counts["leaked fds"] = max(0, fd_count() - fds_before)
        report.counts["leaked sockets"] = sockets_to(port)
        judge(emu, expected, verdicts, report)
        if config.batch_jobs:
            batch_report = Report()
            judge(emu, batch_expected, batch_verdicts, batch_report)
            for name in ("lost", "duplicates", "delivered after failure", "orphan files"):
                report.counts[name] += batch_report.counts[name]
            report.counts["batch jobs failed"] = batch_report.counts["failed"]
        count_leftovers(emu, rules, kills, report)
    return report


async def run_sends(
    emu: Emulator, config: SoakConfig, rules: list[tuple[str, FaultRule]], report: Report
) -> tuple[dict[str, bytes], Verdicts]:
    """Part 1: the logical sends; what each caller was told."""
    expected = expected_content(config)
    timeouts = Timeouts(read=config.read_timeout)
    async with CryptshareClient(emu.url, client_id=emu.client_id, timeouts=timeouts) as client:
        sender = client.sender(SENDER)
        await sender.verify_with_client_id()
        for _, rule in rules:
            emu.add_fault(rule)
        gate = asyncio.Semaphore(config.concurrency)

        async def one(key: str) -> Outcome:
            async with gate:
                return await logical_send(sender, key, expected[key])

        started = time.perf_counter()
        outcomes = await asyncio.gather(*(one(key) for key in expected))
        elapsed = time.perf_counter() - started
        emu.clear_faults()
    fired = len(emu.fired_faults)
    api_requests = sum(1 for r in emu.requests if r.path.startswith("/api/"))
    report.faults.update(kind_of(f.rule, rules) for f in emu.fired_faults)
    retried = sum(1 for o in outcomes if o.attempts > 1)
    found = sum(1 for o in outcomes if o.found_after_error)
    report.lines.append(
        f"part 1: {config.sends} logical sends (concurrency {config.concurrency}) in"
        f" {elapsed:.1f} s; {api_requests} API requests, {fired} faults"
        f" ({fired / max(1, api_requests):.0%}); {retried} sends retried by the caller,"
        f" {found} found delivered through the tracking id an error named"
    )
    errors = Counter(e for o in outcomes for e in o.errors)
    report.lines.append(f"errors the caller saw: {dict(errors.most_common())}")
    return expected, {o.key: (o.verdict, o.tracking_id) for o in outcomes}


async def run_batch(
    emu: Emulator,
    config: SoakConfig,
    folder: Path,
    rules: list[tuple[str, FaultRule]],
    report: Report,
) -> tuple[dict[str, bytes], Verdicts, int]:
    """Part 2: the batch killed ``config.kills`` times in child processes, then resumed
    here until every job is through (``MAX_RUNS`` runs at most). Returns the content per
    job, what the last run said of each, and how many times a child was killed."""
    rng = random.Random(config.seed * 31 + 5)
    batch_folder = folder / "batch"
    batch_folder.mkdir()
    for _, rule in rules:
        emu.add_fault(rule)
    kills = 0
    # A point among the first ~80 % of a run's requests (a resumed run makes fewer).
    span = max(3, config.batch_jobs * (REQUESTS_PER_SEND - 1) // max(1, config.kills))
    for _ in range(config.kills):
        kill_after = rng.randrange(2, span)
        if await run_batch_child(emu, batch_folder, config, kill_after) is None:
            kills += 1
    runs, result = 0, None
    while runs < MAX_RUNS:  # resumed here, in this process (its leaks are measured)
        runs += 1
        result = await run_batch_once(emu.url, emu.client_id, batch_folder, config)
        if not result["failed"]:
            break
    emu.clear_faults()
    jobs = batch_jobs(config)
    expected = {job.key: bytes(job.sources[0].data) for job in jobs}  # type: ignore[union-attr]
    sent: dict[str, str] = result["sent"] if result is not None else {}
    verdicts: Verdicts = {
        job.key: ("delivered", sent[job.key]) if job.key in sent else ("failed", None)
        for job in jobs
    }
    failing = len(jobs) - len(sent)
    report.lines.append(
        f"part 2: a journaled batch of {config.batch_jobs} jobs killed {kills} times"
        f" (of {config.kills} tries), then resumed in {runs} run(s): {failing} job(s)"
        " still failing"
    )
    return expected, verdicts, kills


def print_report(config: SoakConfig, report: Report) -> None:
    print(
        f"fault soak: seed {config.seed}, {config.sends} sends, fault rate {config.fault_rate:.0%},"
        f" {config.size} bytes per file, read timeout {config.read_timeout} s"
    )
    for line in report.lines:
        print(line)
    print("faults fired per kind:", dict(sorted(report.faults.items())))
    print(
        "caller's verdicts: "
        + ", ".join(f"{n} {report.counts[n]}" for n in ("delivered", "failed", "unresolved"))
        + f"; empty sessions (lost create answers) {report.counts[EMPTY]}"
    )
    for name, value in report.zero_counts().items():
        print(f"  {name:26} {value}")
    print("OK: every count is 0" if report.ok else "FAILED: a count is not 0")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--batch-child"]:
        url, folder, raw = argv[1], Path(argv[2]), json.loads(argv[3])
        config = SoakConfig(**raw)
        asyncio.run(batch_child(url, os.environ["CS_SOAK_CLIENT_ID"], folder, config))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = SoakConfig()
    for name, value in defaults.__dict__.items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    args = parser.parse_args(argv)
    config = SoakConfig(**vars(args))
    with tempfile.TemporaryDirectory() as folder:
        report = asyncio.run(soak(config, Path(folder)))
    print_report(config, report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
