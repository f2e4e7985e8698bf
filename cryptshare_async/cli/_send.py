"""``send``: files to a finalized transfer through ``Sender.send``, with progress; maybe wait.

Everything that can be checked locally (files, addresses, options, passwords) is
checked before the first request. Once the session exists, any failure or Ctrl-C
deletes the session with what was uploaded (``Sender.send`` does), so nothing
half-made is left on the server; a finalize whose answer was lost is resolved by the
transfer's status, never repeated.

Example::

    $ cryptshare-async send report.pdf --to bob@example.org --name Alice --phone "+49 1" --wait
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import (
    ChecksumMode,
    FileSource,
    PasswordMode,
    Transfer,
    TransferSession,
    TransferStatus,
    UploadedFile,
)
from ._console import Console, human_size
from ._context import Context
from ._progress import ProgressBoard
from ._settings import CliError, Connection, UsageError, prompt_secret, read_secret
from ._transfers import wait_active
from ._views import status_lines, transfer_json

__all__ = [
    "LocalFile",
    "check_files",
    "first_error",
    "run_send",
    "split_addresses",
    "upload_files",
]

ENV_NAME = "CRYPTSHARE_SENDER_NAME"
ENV_PHONE = "CRYPTSHARE_SENDER_PHONE"
_PASSWORD_HINT = "pass --password-env VAR or --password-file PATH"


@dataclass(frozen=True)
class LocalFile:
    """A file to send: where it is, the name it is sent under, its size."""

    path: Path
    name: str
    size: int


def check_files(paths: Sequence[str]) -> list[LocalFile]:
    """Every path, checked: it exists, is a readable regular file, and no two files
    would be sent under the same name.

    Example::

        files = check_files(["report.pdf", "data/notes.txt"])
    """
    files: list[LocalFile] = []
    seen: dict[str, str] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        try:
            info = path.stat()
        except FileNotFoundError:
            raise CliError(f"{raw}: no such file") from None
        except OSError as exc:
            raise CliError(f"{raw}: {exc.strerror}") from None
        if stat.S_ISDIR(info.st_mode):
            raise CliError(f"{raw} is a directory", hint="send the files in it, or an archive")
        if not stat.S_ISREG(info.st_mode):
            raise CliError(f"{raw} is not a regular file")
        if not os.access(path, os.R_OK):
            raise CliError(f"{raw}: permission denied")
        name = path.name
        if name.casefold() in seen:
            raise CliError(
                f"{seen[name.casefold()]} and {raw} would both be sent as {name!r}",
                hint="file names must be unique in a transfer: rename one of them",
            )
        seen[name.casefold()] = raw
        files.append(LocalFile(path=path, name=name, size=info.st_size))
    return files


def split_addresses(values: Sequence[str] | None) -> list[str]:
    """Repeated options and comma-separated lists, flattened.

    Example::

        >>> split_addresses(["a@x.org, b@x.org", "c@x.org"])
        ['a@x.org', 'b@x.org', 'c@x.org']
    """
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first failure in a task group's exceptions that is not a cancellation."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            exc = first_error(exc)
        if not isinstance(exc, asyncio.CancelledError):
            return exc
    return group.exceptions[0]


async def upload_files(
    session: TransferSession,
    files: Sequence[LocalFile],
    board: ProgressBoard,
    *,
    checksum: ChecksumMode = ChecksumMode.AUTO,
    concurrency: int = 2,
) -> list[UploadedFile]:
    """Upload ``files``, ``concurrency`` at a time, each with its own bar on ``board``.

    The first failure cancels the uploads still running; the library removes every
    file whose upload did not complete. Results are in the order of ``files``.

    Example::

        with ctx.progress("uploaded") as board:
            uploaded = await upload_files(session, check_files(paths), board)
    """
    gate = asyncio.Semaphore(concurrency)
    bars = [board.add(file.name, file.size) for file in files]

    async def one(file: LocalFile, index: int) -> UploadedFile:
        async with gate:
            bar = bars[index]
            bar.start()
            try:
                uploaded = await session.upload(
                    str(file.path),
                    file_name=file.name,
                    checksum=checksum,
                    progress=bar.update,
                    hash_progress=bar.checking,
                )
            except BaseException:
                bar.fail()
                raise
            bar.finish()
            return uploaded

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(file, i)) for i, file in enumerate(files)]
    except BaseExceptionGroup as failures:
        raise first_error(failures) from None
    return [task.result() for task in tasks]


def _contact(ctx: Context) -> tuple[str, str]:
    name = ctx.args.name or ctx.env.get(ENV_NAME, "").strip()
    phone = ctx.args.phone or ctx.env.get(ENV_PHONE, "").strip()
    if not name or not phone:
        raise UsageError(
            f"the recipients see the sender's name and phone: pass --name and --phone"
            f" (or set {ENV_NAME} and {ENV_PHONE})"
        )
    return name, phone


def _password(ctx: Context) -> tuple[PasswordMode, str | None]:
    args = ctx.args
    given = args.password_env is not None or args.password_file is not None
    mode = PasswordMode(args.password_mode) if args.password_mode else None
    if given and mode not in (None, PasswordMode.MANUAL):
        raise UsageError(f"--password-mode {args.password_mode} takes no password")
    if not given and mode is not PasswordMode.MANUAL:
        return mode or PasswordMode.GENERATED, None
    password = read_secret(
        args, ctx.env, ctx.console, what="transfer password", prompt=None, hint=_PASSWORD_HINT
    )
    if password is None:
        password = _prompt_new_password()
    return PasswordMode.MANUAL, password


def _prompt_new_password() -> str:
    first = prompt_secret(
        "transfer password: ", stdin=sys.stdin, what="transfer password", hint=_PASSWORD_HINT
    )
    second = prompt_secret(
        "transfer password (again): ",
        stdin=sys.stdin,
        what="transfer password",
        hint=_PASSWORD_HINT,
    )
    if first != second:
        raise CliError("the two passwords differ")
    return first


@dataclass(frozen=True)
class _Plan:
    """Everything ``send`` needs, checked before the first request."""

    email: str
    files: list[LocalFile]
    to: list[str]
    cc: list[str]
    bcc: list[str]
    name: str
    phone: str
    settings: dict[str, Any] = field(repr=False)
    checksum: ChecksumMode


def _plan(ctx: Context) -> _Plan:
    args = ctx.args
    email = ctx.sender_email()
    files = check_files(args.files)
    to, cc, bcc = (split_addresses(v) for v in (args.to, args.cc, args.bcc))
    if not (to or cc or bcc):
        raise UsageError("a transfer needs at least one recipient: pass --to ADDRESS")
    name, phone = _contact(ctx)
    if (args.subject is None) != (args.message is None):
        raise UsageError("--subject and --message go together: give both")
    mode, password = _password(ctx)
    settings: dict[str, Any] = {"password_mode": mode}
    if password is not None:
        settings["password"] = password
    if args.expiration is not None:
        settings["expiration_date"] = args.expiration
    if args.subject is not None:
        settings["notification_subject"] = args.subject
        settings["notification_body"] = args.message
    return _Plan(
        email=email,
        files=files,
        to=to,
        cc=cc,
        bcc=bcc,
        name=name,
        phone=phone,
        settings=settings,
        checksum=ChecksumMode(args.checksum),
    )


async def _send(
    ctx: Context, connection: Connection, plan: _Plan
) -> tuple[Transfer, list[UploadedFile], TransferStatus | None]:
    args, console = ctx.args, ctx.console
    async with connection.client() as client:
        sender = client.sender(plan.email)
        count = len(plan.to) + len(plan.cc) + len(plan.bcc)
        total = sum(file.size for file in plan.files)
        console.info(
            f"uploading {len(plan.files)} file(s), {human_size(total)},"
            f" to {count} recipient{'s' if count != 1 else ''}"
        )
        with ctx.progress("uploaded") as board:
            bars = {file.name: board.add(file.name, file.size) for file in plan.files}
            try:
                result = await sender.send(
                    [FileSource(file.path, name=file.name) for file in plan.files],
                    to=plan.to,
                    cc=plan.cc,
                    bcc=plan.bcc,
                    name=plan.name,
                    phone=plan.phone,
                    checksum=plan.checksum,
                    file_progress=lambda name, sent, size: bars[name].update(sent, size),
                    concurrency=args.concurrency,
                    **plan.settings,
                )
            except BaseException as exc:
                for bar in bars.values():
                    bar.fail()
                if isinstance(exc, asyncio.CancelledError):
                    console.info("interrupted: removing what was uploaded")
                    for note in getattr(exc, "__notes__", ()):
                        console.info(note)  # what became of the session (no secrets)
                raise
            for bar in bars.values():
                bar.finish()
        transfer, uploaded = result.transfer, list(result.files)
        console.info(f"finalized: tracking id {transfer.tracking_id}")
        if not args.wait:
            return transfer, uploaded, None
        try:
            status = await wait_active(
                transfer, console, timeout=args.wait_timeout, interval=args.poll_interval
            )
        except BaseException:
            # The transfer exists whatever happened to the wait: a script gets its id.
            _show_result(console, transfer, uploaded, None)
            console.info(f"check it later with: cryptshare-async status {transfer.tracking_id}")
            raise
        return transfer, uploaded, status


def _show_result(
    console: Console,
    transfer: Transfer,
    uploaded: list[UploadedFile],
    status: TransferStatus | None,
) -> None:
    console.emit(
        {
            "tracking_id": transfer.tracking_id,
            "files": [
                {
                    "name": f.file_name,
                    "size": f.size,
                    "file_id": f.file_id,
                    "checksum": f.checksum,
                    "algorithm": f.algorithm,
                }
                for f in uploaded
            ],
            "status": (
                transfer_json(transfer.tracking_id, status.status, status.transfer)
                if status is not None
                else None
            ),
        }
    )
    if console.quiet:
        console.out(transfer.tracking_id)
    elif status is not None:
        for line in status_lines(transfer.tracking_id, status):
            console.out(line)
    else:
        console.out(f"tracking id  {transfer.tracking_id}")


def run_send(ctx: Context) -> int:
    """The ``send`` command.

    Example::

        exit_code = run_send(ctx)
    """
    connection = ctx.connection()
    plan = _plan(ctx)
    transfer, uploaded, status = asyncio.run(_send(ctx, connection, plan))
    _show_result(ctx.console, transfer, uploaded, status)
    return 0
