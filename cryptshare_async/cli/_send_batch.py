"""``send-batch``: one transfer per line of a JSON Lines file, through ``Sender.send_many``.

Each non-blank line is one JSON object, one job::

    {"key": "invoice-42", "files": ["out/invoice-42.pdf"], "to": ["bob@example.org"]}
    {"key": "invoice-43", "files": ["out/invoice-43.pdf"], "to": ["carol@example.net"],
     "cc": ["accounts@example.com"], "password_mode": "none", "expiration": "14d",
     "subject": "Your invoice", "message": "See the attachment."}

Keys: ``key`` (required: names the job in the journal; unique, no secret), ``files``
(required: a list of paths; a relative path is relative to the jobs file's folder),
``to``/``cc``/``bcc`` (lists of addresses; at least one recipient), ``name`` and
``phone`` (default: ``--name``/``--phone`` or their environment variables),
``password_mode`` (``generated``, the default, or ``none``: a manual password does
not belong in a jobs file), ``expiration`` (as ``send --expiration``), ``subject`` and
``message`` (together). Every line is checked before anything is sent.

With ``--journal state.db`` a re-run after a crash or Ctrl-C sends each job exactly
once: jobs already sent are reported from the journal, a job interrupted after its
finalize went out is adopted, never sent again. The token store the CLI uses by default
lasts between runs, which a resumed run needs to delete what an interrupted one left.

Output: one line per job (``KEY  sent  TRACKING_ID``, ``KEY  sent earlier
TRACKING_ID`` or ``KEY  failed  ERROR``), or one JSON document per job with ``--json``.
Exit status 0 when every job was sent, 1 otherwise.

Example::

    $ cryptshare-async send-batch jobs.jsonl --journal state.db --name Billing --phone 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from .. import (
    ChecksumMode,
    CryptshareError,
    FileSource,
    PasswordMode,
    SendJob,
    SendResult,
    SQLiteJournal,
)
from .._validation import validate_recipients
from ._console import human_size, one_line
from ._context import Context
from ._exit import EXIT_FAILURE, EXIT_OK
from ._parser import parse_expiration
from ._send import ENV_NAME, ENV_PHONE, check_files, split_addresses
from ._settings import CliError, UsageError

__all__ = ["read_jobs", "run_send_batch"]

_KEYS: Final = frozenset(
    {
        "key",
        "files",
        "to",
        "cc",
        "bcc",
        "name",
        "phone",
        "password_mode",
        "expiration",
        "subject",
        "message",
    }
)
_MODES: Final = {"generated": PasswordMode.GENERATED, "none": PasswordMode.NONE}


def read_jobs(
    path: Path, *, name: str | None, phone: str | None, checksum: ChecksumMode
) -> list[SendJob]:
    """Every job of the JSON Lines file ``path``, checked (files, recipients, settings).

    Example::

        jobs = read_jobs(Path("jobs.jsonl"), name="Billing", phone="1",
                         checksum=ChecksumMode.AUTO)
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot be read ({type(exc).__name__})") from None
    jobs: list[SendJob] = []
    keys: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            job = _job(line, path.parent, name=name, phone=phone, checksum=checksum)
        except (CliError, CryptshareError) as exc:
            raise UsageError(f"{where}: {exc}", hint=_FORMAT_HINT) from None
        if job.key in keys:
            raise UsageError(f"{where}: the key {job.key!r} appears twice; keys must be unique")
        keys.add(job.key)
        jobs.append(job)
    if not jobs:
        raise UsageError(f"{path} holds no job", hint=_FORMAT_HINT)
    return jobs


_FORMAT_HINT: Final = (
    'one JSON object per line, e.g. {"key": "a-1", "files": ["a.pdf"], "to": ["bob@example.org"]}'
)


def _job(
    line: str, base: Path, *, name: str | None, phone: str | None, checksum: ChecksumMode
) -> SendJob:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CliError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise CliError("a job is a JSON object")
    if "password" in data:
        raise CliError(
            "a password does not belong in a jobs file; use password_mode generated or none"
        )
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise CliError(f"unknown key(s) {unknown}; the keys are {sorted(_KEYS)}")
    key = data.get("key")
    if not isinstance(key, str) or not key.strip():
        raise CliError('"key" must be a non-empty string')
    files = data.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise CliError('"files" must be a non-empty list of paths')
    checked = check_files([str(base / Path(f).expanduser()) for f in files])
    to, cc, bcc = (_addresses(data, field) for field in ("to", "cc", "bcc"))
    if not (to or cc or bcc):
        raise CliError('a job needs at least one recipient in "to", "cc" or "bcc"')
    validate_recipients(to, cc, bcc)
    return SendJob(
        key,
        [FileSource(file.path, name=file.name) for file in checked],
        to=to,
        cc=cc,
        bcc=bcc,
        name=_contact(data, "name", name),
        phone=_contact(data, "phone", phone),
        settings=_settings(data),
        checksum=checksum,
    )


def _addresses(data: Mapping[str, Any], field: str) -> list[str]:
    value = data.get(field, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise CliError(f'"{field}" must be a list of addresses')
    return split_addresses(value)


def _contact(data: Mapping[str, Any], field: str, default: str | None) -> str:
    value = data.get(field, default)
    if not isinstance(value, str) or not value.strip():
        raise CliError(
            f'no sender {field}: give "{field}" in the job, --{field}, or'
            f" ${ENV_NAME if field == 'name' else ENV_PHONE}"
        )
    return value


def _settings(data: Mapping[str, Any]) -> dict[str, Any]:
    mode = data.get("password_mode", "generated")
    if mode not in _MODES:
        raise CliError(f'"password_mode" must be one of {sorted(_MODES)}, got {mode!r}')
    settings: dict[str, Any] = {"password_mode": _MODES[mode]}
    expiration = data.get("expiration")
    if expiration is not None:
        if not isinstance(expiration, str):
            raise CliError('"expiration" must be a string such as "7d" or "2025-07-01"')
        try:
            settings["expiration_date"] = parse_expiration(expiration)
        except argparse.ArgumentTypeError as exc:
            raise CliError(f'"expiration": {exc}') from None
    subject, message = data.get("subject"), data.get("message")
    if (subject is None) != (message is None):
        raise CliError('"subject" and "message" go together: give both')
    if subject is not None:
        if not isinstance(subject, str) or not isinstance(message, str):
            raise CliError('"subject" and "message" must be strings')
        settings["notification_subject"] = subject
        settings["notification_body"] = message
    return settings


async def _send_batch(ctx: Context, jobs: list[SendJob]) -> list[SendResult | Exception]:
    args, console = ctx.args, ctx.console
    connection = ctx.connection()
    email = ctx.sender_email()
    total = sum(_size(source) for job in jobs for source in job.sources)
    console.info(f"sending {len(jobs)} transfer(s), {human_size(total)} in all")
    async with connection.client() as client:
        sender = client.sender(email)
        with ctx.progress("sent") as board:
            bar = board.add(f"{len(jobs)} transfer(s)", total)
            bar.start()
            try:
                if args.journal is None:
                    results = await sender.send_many(
                        jobs, concurrency=args.concurrency, progress=bar.update
                    )
                else:
                    async with SQLiteJournal(args.journal) as journal:
                        results = await sender.send_many(
                            jobs,
                            concurrency=args.concurrency,
                            journal=journal,
                            progress=bar.update,
                        )
            except BaseException:
                bar.fail()
                raise
            bar.finish()
    return results


def _size(source: object) -> int:
    try:
        return os.stat(source.path).st_size if isinstance(source, FileSource) else 0
    except OSError:
        return 0  # gone since it was checked: the job reports it


def _report(ctx: Context, jobs: list[SendJob], results: list[SendResult | Exception]) -> int:
    console = ctx.console
    failed = 0
    for job, result in zip(jobs, results, strict=True):
        if isinstance(result, SendResult):
            how = "sent earlier" if result.from_journal else "sent"
            console.emit(
                {"key": job.key, "tracking_id": result.tracking_id, "from_journal": how != "sent"}
            )
            console.out(f"{job.key}  {how}  {result.tracking_id}")
        else:
            failed += 1
            text = one_line(str(result)) or type(result).__name__
            console.emit({"key": job.key, "error": text, "error_type": type(result).__name__})
            console.out(f"{job.key}  failed  {text}")
    console.info(f"{len(jobs) - failed} of {len(jobs)} job(s) sent, {failed} failed")
    return EXIT_FAILURE if failed else EXIT_OK


def run_send_batch(ctx: Context) -> int:
    """The ``send-batch`` command.

    Example::

        exit_code = run_send_batch(ctx)
    """
    args = ctx.args
    ctx.connection()  # settings are checked before the jobs are read
    jobs = read_jobs(
        Path(args.jobs).expanduser(),
        name=args.name or ctx.env.get(ENV_NAME, "").strip() or None,
        phone=args.phone or ctx.env.get(ENV_PHONE, "").strip() or None,
        checksum=ChecksumMode(args.checksum),
    )
    results = asyncio.run(_send_batch(ctx, jobs))
    return _report(ctx, jobs, results)
