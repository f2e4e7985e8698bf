"""``download``: a recipient's files, streamed to a directory with progress.

The recipient names the transfer by their own transfer id (from the notification mail)
and gives the transfer password through the environment, a file or the terminal.

Example::

    $ CS_PASSWORD=... cryptshare-async download x7Hk2pQr9a --to downloads --password-env CS_PASSWORD
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from .. import (
    RecipientTransfer,
    TransferFile,
    WrongPasswordError,
)
from ._console import human_size
from ._context import Context
from ._progress import ProgressBoard
from ._settings import CliError, UsageError, read_secret

__all__ = ["download_files", "run_download"]

_PASSWORD_HINT = (
    "pass --password-env VAR or --password-file PATH"
    " (or --no-password for a transfer sent without one)"
)


def _target(directory: str) -> Path:
    folder = Path(directory).expanduser()
    if folder.exists() and not folder.is_dir():
        raise CliError(f"{directory} exists and is not a directory")
    return folder


async def _files(incoming: RecipientTransfer) -> tuple[TransferFile, ...]:
    try:
        return await incoming.files()
    except WrongPasswordError as exc:
        raise CliError(
            f"wrong password for transfer {incoming.transfer_id}",
            hint="check the password: after too many wrong ones the server deletes the transfer",
        ) from exc


async def download_files(
    incoming: RecipientTransfer,
    folder: Path,
    board: ProgressBoard,
    *,
    file_ids: list[str] | None = None,
    overwrite: bool = False,
) -> list[tuple[TransferFile, Path]]:
    """Download the files with ``file_ids`` (default: all) into ``folder`` (made if
    missing), with progress on ``board``; returns each file with the path written.

    Example::

        with ctx.progress("downloaded") as board:
            written = await download_files(incoming, Path("downloads"), board)
    """
    entries = await _files(incoming)
    if file_ids:
        by_id = {entry.id: entry for entry in entries}
        unknown = [i for i in file_ids if i not in by_id]
        if unknown:
            known = ", ".join(f"{e.id} ({e.file_name})" for e in entries) or "none"
            raise CliError(
                f"transfer {incoming.transfer_id} has no file {', '.join(unknown)}",
                hint=f"its files: {known}",
            )
        entries = tuple(by_id[i] for i in dict.fromkeys(file_ids))
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    written: list[tuple[TransferFile, Path]] = []
    if file_ids:
        for entry in entries:
            bar = board.add(entry.file_name or entry.id or "file", entry.size or 0)
            bar.start()
            try:
                path = await incoming.download(
                    entry, folder, overwrite=overwrite, progress=bar.update
                )
            except BaseException:
                bar.fail()
                raise
            bar.finish()
            written.append((entry, path))
        return written
    # All files through download_all, which also keeps two files that sanitise to the
    # same name apart; its progress counts the bytes of all files together.
    total = sum(entry.size or 0 for entry in entries)
    only = entries[0].file_name if len(entries) == 1 else None
    bar = board.add(only or f"{len(entries)} files", total)
    bar.start()
    try:
        paths = await incoming.download_all(folder, overwrite=overwrite, progress=bar.update)
    except BaseException:
        bar.fail()
        raise
    bar.finish()
    return list(zip(entries, paths, strict=False))


async def _list_files(ctx: Context, incoming: RecipientTransfer) -> None:
    entries = await _files(incoming)
    ctx.console.emit(
        {
            "transfer_id": incoming.transfer_id,
            "files": [{"id": e.id, "name": e.file_name, "size": e.size} for e in entries],
        }
    )
    width = max((len(e.id or "") for e in entries), default=2)
    for entry in entries:
        ctx.console.out(
            f"{(entry.id or '-').ljust(width)}  {human_size(entry.size).rjust(10)}"
            f"  {entry.file_name}"
        )


def run_download(ctx: Context) -> int:
    """The ``download`` command.

    Example::

        exit_code = run_download(ctx)
    """
    args = ctx.args
    if not args.list and args.directory is None:
        raise UsageError("download needs --to DIR (or --list to only list the files)")
    folder = _target(args.directory) if args.directory is not None else None
    connection = ctx.connection()
    password = None
    if not args.no_password:
        password = read_secret(
            args,
            ctx.env,
            ctx.console,
            what="transfer password",
            prompt="transfer password: ",
            hint=_PASSWORD_HINT,
        )

    async def download() -> list[tuple[TransferFile, Path]]:
        async with connection.client() as client:
            incoming = client.recipient_transfer(args.transfer_id, password=password)
            if args.list:
                await _list_files(ctx, incoming)
                return []
            assert folder is not None
            with ctx.progress("downloaded") as board:
                return await download_files(
                    incoming, folder, board, file_ids=args.file_ids, overwrite=args.overwrite
                )

    written = asyncio.run(download())
    if args.list:
        return 0
    ctx.console.emit(
        {
            "transfer_id": args.transfer_id,
            "files": [
                {"id": e.id, "name": e.file_name, "size": e.size, "path": str(p)}
                for e, p in written
            ],
        }
    )
    for _, path in written:
        ctx.console.out(str(path))
    return 0
