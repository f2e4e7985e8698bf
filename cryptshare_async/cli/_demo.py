"""``demo``: a whole transfer, sender to recipient to revocation, against a local emulator.

Nothing leaves the machine: the emulator listens on 127.0.0.1 (a free port), keeps its
content in a temporary directory and removes it when the demo ends; the generated and
downloaded files live in another temporary directory, removed unless ``--keep``.

Example::

    $ cryptshare-async demo --size-mib 16
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Final

from .. import (
    CryptshareClient,
    MemoryTokenStore,
    PasswordMode,
    TransferState,
    TransferStatus,
)
from ..testing import Emulator, EmulatorConfig
from ._console import Console, human_size, local_time
from ._context import Context
from ._download import download_files
from ._listing import show_listing
from ._send import LocalFile, upload_files
from ._settings import CliError, UsageError
from ._views import status_lines, transfer_json

__all__ = ["DEMO_RECIPIENT", "DEMO_SENDER", "run_demo"]

DEMO_SENDER = "alice@example.com"
DEMO_RECIPIENT = "bob@example.org"
_MIB = 1024 * 1024


class _Steps:
    """Numbered steps on stdout (or one JSON document per step), printed as they happen."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._number = 0

    def step(self, text: str, **data: Any) -> None:
        self._number += 1
        self._console.out(f"{self._number:>2}. {text}")
        self._console.emit({"step": self._number, "message": text, **data})

    def detail(self, text: str) -> None:
        self._console.out(f"    {text}")


def _generate(folder: Path, size: int) -> tuple[list[LocalFile], dict[str, str]]:
    """Two files to send (random bytes of ``size``, and a short note) and their SHA-256."""
    digests: dict[str, str] = {}
    data = folder / "measurements.bin"
    hasher = hashlib.sha256()
    with data.open("wb") as handle:
        left = size
        while left > 0:
            chunk = os.urandom(min(left, _MIB))
            hasher.update(chunk)
            handle.write(chunk)
            left -= len(chunk)
    digests[data.name] = hasher.hexdigest()
    note = folder / "readme.txt"
    text = b"Hello Bob,\nhere are the measurements we talked about.\nAlice\n"
    note.write_bytes(text)
    digests[note.name] = hashlib.sha256(text).hexdigest()
    files = [LocalFile(path=p, name=p.name, size=p.stat().st_size) for p in (data, note)]
    return files, digests


def _sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_MIB):
            hasher.update(chunk)
    return hasher.hexdigest()


#: Options the demo cannot honour: it runs its own emulator, sender and token store.
_IGNORED: Final = {
    "url": "--url",
    "client_id_file": "--client-id-file",
    "sender": "--sender",
    "token_store": "--token-store",
    "no_token_store": "--no-token-store",
    "allow_insecure_http": "--allow-insecure-http",
    "language": "--language",
    "timeout": "--timeout",
}


def _refuse_connection_options(ctx: Context) -> None:
    # The global options default to "absent" (argparse.SUPPRESS): present means given.
    given = [option for name, option in _IGNORED.items() if hasattr(ctx.args, name)]
    if given:
        raise UsageError(
            f"demo does not take {', '.join(given)}: it runs against its own local emulator"
            f" as {DEMO_SENDER}",
            hint="to send through a real server: cryptshare-async send FILE --to ADDRESS ...",
        )


def run_demo(ctx: Context) -> int:
    """The ``demo`` command: every step of a transfer, printed as it happens.

    Example::

        exit_code = run_demo(ctx)
    """
    _refuse_connection_options(ctx)
    size = ctx.args.size_mib * _MIB
    work = Path(tempfile.mkdtemp(prefix="cryptshare-demo-"))
    try:
        outgoing = work / "outgoing"
        outgoing.mkdir()
        files, digests = _generate(outgoing, size)
        asyncio.run(_demo(ctx, files, digests, work))
    finally:
        if ctx.args.keep:
            ctx.console.out(f"The demo's files are kept in {work}")
            ctx.console.emit({"kept_in": str(work)})
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


async def _demo(ctx: Context, files: list[LocalFile], digests: dict[str, str], work: Path) -> None:
    async with Emulator(EmulatorConfig(processing_seconds=0.2)) as emulator:
        await _walk_through(ctx, emulator, files, digests, work)


async def _walk_through(
    ctx: Context,
    emulator: Emulator,
    files: list[LocalFile],
    digests: dict[str, str],
    work: Path,
) -> None:
    console = ctx.console
    steps = _Steps(console)
    steps.step(
        f"Started a local Cryptshare emulator at {emulator.url} (its storage is temporary)",
        url=emulator.url,
    )
    async with CryptshareClient(
        emulator.url, client_id=emulator.client_id, token_store=MemoryTokenStore()
    ) as client:
        alice = client.sender(DEMO_SENDER, auto_verify=False)
        token = await alice.verify_with_client_id()
        steps.step(
            f"Verified the sender {DEMO_SENDER} by the emulator's demo client id"
            f" (token valid until {local_time(token.valid_until)})",
            sender=DEMO_SENDER,
        )

        session = await alice.create_session(
            to=[DEMO_RECIPIENT], name="Alice Example", phone="+49 30 1234567"
        )
        await session.update(
            password_mode=PasswordMode.GENERATED,
            notification_subject="Measurements",
            notification_body="Hello Bob, here are the measurements.",
        )
        steps.step(
            f"Created transfer session {session.tracking_id} to {DEMO_RECIPIENT}"
            " (password generated by the server)",
            tracking_id=session.tracking_id,
        )

        total = sum(f.size for f in files)
        steps.step(f"Uploading {len(files)} files ({human_size(total)})")
        with ctx.progress("uploaded") as board:
            uploaded = await upload_files(session, files, board)
        for file in uploaded:
            digest = f"{file.algorithm} {file.checksum[:16]}..." if file.checksum else "no checksum"
            steps.detail(f"{file.file_name}: {human_size(file.size)}, {digest}")

        transfer = await session.finalize()
        steps.step(f"Finalized: tracking id {transfer.tracking_id}")

        states: list[str] = []

        def on_update(status: TransferStatus) -> None:
            states.append(status.state.value if status.state is not None else "?")

        status = await transfer.wait_until_active(
            timeout=60, interval=0.05, max_interval=0.5, on_update=on_update
        )
        steps.step(f"Waited until active: {' -> '.join(states)}", states=states)

        steps.step(
            "Transfer status:",
            status=transfer_json(transfer.tracking_id, status.status, status.transfer),
        )
        for line in status_lines(transfer.tracking_id, status):
            steps.detail(line)

        await _download_as_recipient(ctx, steps, client, emulator, digests, work)

        steps.step(f"Sent transfers of {DEMO_SENDER}:")
        await show_listing(console, alice, received=False, limit=10, indent="    ")

        await transfer.revoke(message="Sent by mistake: the demo revokes its own transfer.")
        status = await transfer.status()
        if status.state is not TransferState.DELETED_BY_REVOCATION:
            raise CliError(f"after revoking, the transfer is in state {status.state}")
        notice = emulator.outbox.latest(kind="revocation_recipient", to=DEMO_RECIPIENT)
        steps.step(
            f"Revoked: the transfer is now {status.state.value};"
            f" {DEMO_RECIPIENT} was told: {notice.subject!r}",
            state=status.state.value,
        )
    steps.step("Demo finished: every step worked.", ok=True)


async def _download_as_recipient(
    ctx: Context,
    steps: _Steps,
    client: CryptshareClient,
    emulator: Emulator,
    digests: dict[str, str],
    work: Path,
) -> None:
    # What a real recipient reads in the notification mail: the transfer id, and (for a
    # generated password) the password. The emulator keeps every mail in its outbox.
    mail = emulator.outbox.latest(kind="recipient_notification", to=DEMO_RECIPIENT)
    if mail.transfer_id is None:
        raise CliError("the notification mail carries no transfer id")
    steps.step(
        f"{DEMO_RECIPIENT} got a notification mail ({mail.subject!r}) with the transfer id"
        f" {mail.transfer_id} and the password (not shown); downloading as {DEMO_RECIPIENT}",
        transfer_id=mail.transfer_id,
    )
    incoming = client.recipient_transfer(mail.transfer_id, password=mail.password)
    with ctx.progress("downloaded") as board:
        written = await download_files(incoming, work / "downloads", board)
    if sorted(entry.file_name or "" for entry, _ in written) != sorted(digests):
        raise CliError("the recipient did not get exactly the files that were sent")
    for entry, path in written:
        expected = digests.get(entry.file_name or "")
        actual = _sha256(path)
        if actual != expected:
            raise CliError(f"{path.name}: the downloaded bytes differ from the ones sent")
        steps.detail(f"{path.name}: {human_size(path.stat().st_size)}, SHA-256 matches")
