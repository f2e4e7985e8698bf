"""``sent`` and ``received``: the sender's transfer lists, as a table or JSON lines.

Rows are printed as pages arrive (fixed column widths), so a long listing starts at once.

Example::

    $ cryptshare-async sent --active --limit 20
    $ cryptshare-async received --json | jq .tracking_id
"""

from __future__ import annotations

import asyncio

from .. import Sender, TransferListItem
from ._console import Console
from ._context import Context
from ._views import LIST_FIELDS, list_header, list_row, transfer_json

__all__ = ["run_listing", "show_listing"]


async def show_listing(
    console: Console,
    sender: Sender,
    *,
    received: bool,
    active: bool | None = None,
    page_size: int = 50,
    limit: int | None = None,
    indent: str = "",
) -> int:
    """Print a listing as it arrives; returns the number of transfers shown.

    Example::

        count = await show_listing(console, client.sender(email), received=False, limit=10)
    """
    list_of = sender.received_transfers if received else sender.sent_transfers
    pager = list_of(active=active, page_size=page_size, fields=LIST_FIELDS, limit=limit)
    count = 0
    item: TransferListItem
    async for item in pager:
        if count == 0:
            console.out(indent + list_header(received=received))
        count += 1
        console.emit(transfer_json(item.tracking_id, item.status, item.transfer))
        console.out(indent + list_row(item, received=received))
    return count


def run_listing(ctx: Context) -> int:
    """The ``sent`` and ``received`` commands.

    Example::

        exit_code = run_listing(ctx)
    """
    args = ctx.args
    received = args.command == "received"
    active = True if args.active else False if args.inactive else None
    email = ctx.sender_email()
    connection = ctx.connection()

    async def listing() -> int:
        async with connection.client() as client:
            return await show_listing(
                ctx.console,
                client.sender(email),
                received=received,
                active=active,
                page_size=args.page_size,
                limit=args.limit,
            )

    if asyncio.run(listing()) == 0:
        ctx.console.info(f"no {'received' if received else 'sent'} transfers")
    return 0
