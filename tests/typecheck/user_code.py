"""User code that must type-check under ``mypy --strict`` (run by tests/test_typing.py).

Each ``assert_type`` pins what a call returns; each ``type: ignore[code]`` pins an error
that must be reported (``--strict`` fails on an ignore that is not needed). Nothing here
runs: the functions only exist to be checked.
"""

from __future__ import annotations

from typing import assert_type

import cryptshare_async
from cryptshare_async import (
    CryptshareClient,
    PasswordMode,
    Sender,
    SendJob,
    SessionScope,
    SessionState,
    TokenUse,
    TransferSession,
    UploadedFile,
)
from cryptshare_async.testing import Emulator, FaultRule, MockCall, MockTransport


async def upload_many_returns_files(session: TransferSession) -> str:
    files = await session.upload_many(["a.pdf", "b.pdf"])
    assert_type(files, list[UploadedFile])
    return files[0].file_id


async def upload_many_with_exceptions(session: TransferSession) -> None:
    results = await session.upload_many(["a.pdf"], return_exceptions=True)
    assert_type(results, list[UploadedFile | BaseException])
    _ = results[0].file_id  # type: ignore[union-attr]


async def upload_many_with_a_flag(session: TransferSession, flag: bool) -> None:
    results = await session.upload_many(["a.pdf"], return_exceptions=flag)
    assert_type(results, list[UploadedFile] | list[UploadedFile | BaseException])


async def confidential_message(session: TransferSession, file: UploadedFile) -> None:
    assert_type(await session.set_confidential_message(file), SessionState)
    assert_type(await session.set_confidential_message(file.file_id), SessionState)
    await session.set_confidential_message(42)  # type: ignore[arg-type]


def private_machinery_is_not_public(client: CryptshareClient) -> None:
    _ = client.tokens  # type: ignore[attr-defined]
    _ = client.cleanups  # type: ignore[attr-defined]
    _ = client.sender("a@example.com").client  # type: ignore[attr-defined]


def lazy_names_are_typed() -> None:
    # The package loads its names on first access; type checkers still see each one.
    assert_type(cryptshare_async.UploadedFile, type[UploadedFile])
    use: TokenUse = cryptshare_async.TokenUse.REQUIRED
    assert_type(use, TokenUse)
    _ = cryptshare_async.NoSuchName  # type: ignore[attr-defined]
    assert_type(cryptshare_async.testing.Emulator, type[Emulator])
    _ = cryptshare_async.testing.NoSuchName  # type: ignore[attr-defined]


def testing_names_are_typed(mock: MockTransport, rule: FaultRule) -> None:
    assert_type(rule.status, int | None)
    assert_type(mock.calls, list[MockCall])


def settings_are_typed(sender: Sender) -> None:
    scope = sender.session(
        to=["b@example.org"], name="A", phone="1", password_mode=PasswordMode.GENERATED
    )
    assert_type(scope, SessionScope)
    sender.session(name="A", phone="1", show_file_names="yes")  # type: ignore[arg-type]
    sender.session(name="A", phone="1", pasword="x")  # type: ignore[call-arg]
    SendJob("k", ["a.pdf"], name="A", phone="1", settings={"sender_language": "de"})
    SendJob(
        "k",
        ["a.pdf"],
        name="A",
        phone="1",
        settings={"password_mod": PasswordMode.NONE},  # type: ignore[typeddict-unknown-key]
    )
