"""``verify``: get a verification token for the sender and keep it in the token store.

Example::

    $ cryptshare-async --sender alice@example.com verify
    $ cryptshare-async --sender alice@example.com verify --email-code
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .. import Sender, VerificationError, VerificationStatus, VerificationToken
from ._console import isatty, local_time
from ._context import Context
from ._exit import EXIT_NOT_VERIFIED, EXIT_OK
from ._parser import PROG
from ._settings import CliError, UsageError, prompt_secret

__all__ = ["run_verify"]

T = TypeVar("T")

_CODE_HINT = "pass --code-from-stdin and write the code to standard input"


class NotVerifiedError(CliError):
    """The sender could not be verified: exit status 3."""

    exit_code = EXIT_NOT_VERIFIED


def _said(exc: VerificationError) -> str:
    return exc.error_message.strip() or f"HTTP {exc.status}"


def run_verify(ctx: Context) -> int:
    """Verify by client id (default) or by a code mailed to the sender; with ``--status``
    show the verification and exit 3 if the sender is not verified.

    The code is asked for between two runs of the event loop, so that Ctrl-C at the
    prompt interrupts at once.

    Example::

        exit_code = run_verify(ctx)
    """
    args = ctx.args
    if args.code_from_stdin and not args.email_code:
        raise UsageError("--code-from-stdin needs --email-code")
    if args.email_code and not args.code_from_stdin and not isatty(sys.stdin):
        # Checked before a code is mailed: there would be no way to enter it.
        raise CliError("no terminal to ask for the verification code", hint=_CODE_HINT)
    email = ctx.sender_email()
    connection = ctx.connection()

    async def with_sender(action: Callable[[Sender], Awaitable[T]]) -> T:
        async with connection.client() as client:
            return await action(client.sender(email, auto_verify=False))

    if args.show_status:
        return _show_status(ctx, email, asyncio.run(with_sender(_status)))
    if args.email_code:

        async def request(sender: Sender) -> None:
            await sender.request_email_code(language=connection.language)

        asyncio.run(with_sender(request))
        ctx.console.info(f"a verification code was mailed to {email}")
        code = _read_code(ctx)

        async def by_code(sender: Sender) -> VerificationToken:
            try:
                return await sender.verify_with_code(code)
            except VerificationError as exc:
                raise NotVerifiedError(
                    f"the server did not accept the verification code ({_said(exc)})",
                    hint=f"codes expire; ask for a new one: {PROG} verify --email-code",
                ) from None

        token = asyncio.run(with_sender(by_code))
        method = "email_code"
    else:
        token = asyncio.run(with_sender(_by_client_id))
        method = "client_id"
    store = str(connection.token_store) if connection.token_store is not None else None
    ctx.console.emit(
        {
            "sender": email,
            "verified": True,
            "method": method,
            "valid_until": token.valid_until.isoformat() if token.valid_until else None,
            "token_store": store,
        }
    )
    how = "by email code" if method == "email_code" else "by client id"
    ctx.console.out(
        f"verified {email} {how}; the token is valid until {local_time(token.valid_until)}"
    )
    if store is not None:
        ctx.console.info(f"token kept in {store}")
    else:
        ctx.console.info("the token is not kept (--no-token-store)")
    return 0


async def _by_client_id(sender: Sender) -> VerificationToken:
    try:
        return await sender.verify_with_client_id()
    except VerificationError as exc:
        raise NotVerifiedError(
            f"the server did not verify {sender.email} by client id ({_said(exc)})",
            hint="the client id must be whitelisted by your Cryptshare administrator;"
            f" or verify by a mailed code: {PROG} verify --email-code",
        ) from None


async def _status(sender: Sender) -> VerificationStatus:
    return await sender.verification_status()


def _read_code(ctx: Context) -> str:
    if ctx.args.code_from_stdin:
        code = sys.stdin.readline().strip()
        if not code:
            raise CliError("no verification code on standard input")
        return code
    return prompt_secret(
        "verification code: ", stdin=sys.stdin, what="verification code", hint=_CODE_HINT
    )


def _show_status(ctx: Context, email: str, status: VerificationStatus) -> int:
    methods = [m.value for m in status.verification_methods or ()]
    ctx.console.emit(
        {
            "sender": email,
            "verified": bool(status.verified),
            "methods": methods,
            "valid_until": status.valid_until.isoformat() if status.valid_until else None,
        }
    )
    ctx.console.out(f"{email}: {'verified' if status.verified else 'not verified'}")
    if status.verified:
        ctx.console.out(f"valid until: {local_time(status.valid_until)}")
    ctx.console.out(f"methods: {', '.join(methods) or 'none reported'}")
    return EXIT_OK if status.verified else EXIT_NOT_VERIFIED
