"""Control endpoints under ``/_emulator``: the Python methods of ``Emulator`` over HTTP.

They let tests drive an emulator started in another process (the console command).
They are never subject to fault injection and need no API headers.

=========================================  ==========================================
``GET /_emulator/info``                    url, demo client id, fault seed
``GET /_emulator/outbox?to=&kind=``        outbox messages, oldest first
``DELETE /_emulator/outbox``               clear the outbox
``GET /_emulator/verification-code/{e}``   latest verification code mailed to ``e``
``GET|POST|DELETE /_emulator/faults``      list, add (FaultRule JSON), clear rules
``GET /_emulator/requests``                request log (secret headers masked)
``GET /_emulator/admin/transfers/{id}``    state and transfer password
``POST /_emulator/admin/transfers/{id}/delete``  admin deletion
``POST /_emulator/admin/transfers/{id}/expire``  expiration date into the past
``POST /_emulator/admin/transfers/{id}/lock``   ``{"locked": true}``: 403/2005 to recipients
``POST /_emulator/admin/transfers/{id}/views``  ``{"recipient", "fileId"}``: a VIEWED retrieval
``POST /_emulator/admin/cleanup``          run the cleanup task now
``POST /_emulator/admin/seed-transfers``   ``{"sender", "count", "recipients"?, "state"?}``
``PUT /_emulator/notification-failures``   ``{"addresses": [...]}``: mails to them fail
=========================================  ==========================================

Every input is checked before anything is done, and bounded (a seed is at most
:data:`MAX_SEED_COUNT` transfers a call, :data:`MAX_TRANSFERS` in all); bad input gets
the API's error format, 400/1004 (a body too large 413/1004), never a 500.

Example::

    curl http://127.0.0.1:8080/_emulator/verification-code/alice@example.com
    # finalize the next transfer, then drop the connection before answering:
    curl -X POST http://127.0.0.1:8080/_emulator/faults -d '{"method": "POST",
        "path": "/api/users/[^/]+/transfer-sessions/[^/]+", "regex": true,
        "lose_answer": "drop", "nth": 1}'
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from aiohttp import web

from ._errors import ApiError
from ._faults import FaultRule
from ._http import json_body
from ._keys import FAULTS, REQUESTS, STORE
from ._lifecycle import INACTIVE_STATES, TransferState
from ._rules import is_email
from ._store import key

__all__ = ["MAX_SEED_COUNT", "MAX_TRANSFERS", "add_control_routes"]

#: Transfers one seed call may add (the whole seed is refused above it, before any work).
MAX_SEED_COUNT: Final = 100_000
#: Transfers the emulator may hold after a seed (about 4 KB of memory each).
MAX_TRANSFERS: Final = 200_000
MAX_SEED_RECIPIENTS: Final = 100
MAX_FAILING_ADDRESSES: Final = 10_000
SEED_STATES: Final = frozenset({TransferState.ACTIVE} | INACTIVE_STATES)
#: Seeding yields to the event loop between batches, so the emulator keeps answering.
_SEED_BATCH: Final = 200


def _transfer_id(request: web.Request) -> str:
    tracking_id = request.match_info["tracking_id"]
    if tracking_id not in request.app[STORE].transfers:
        raise ApiError.not_found("transfer")
    return tracking_id


async def info(request: web.Request) -> web.Response:
    store = request.app[STORE]
    return web.json_response(
        {
            "url": store.root_url,
            "clientId": store.demo_client_id,
            "seed": request.app[FAULTS].seed,
        }
    )


def _only_keys(body: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError.invalid(f"{what}: unknown key {unknown[0]!r} (known: {sorted(allowed)})")


def _email(value: object, what: str) -> str:
    if not is_email(value) or len(str(value)) > 254:
        raise ApiError.invalid(f"{what} (an email address is required)")
    assert isinstance(value, str)
    return value


def _email_list(value: object, what: str, most: int) -> list[str]:
    if not isinstance(value, list) or len(value) > most:
        raise ApiError.invalid(f"{what} (a list of at most {most} email addresses)")
    return [_email(item, what) for item in value]


async def outbox(request: web.Request) -> web.Response:
    _only_keys(dict(request.query), {"kind", "to"}, "outbox query")
    messages = request.app[STORE].outbox.filter(
        kind=request.query.get("kind"), to=request.query.get("to")
    )
    return web.json_response({"messages": [m.to_json() for m in messages]})


async def clear_outbox(request: web.Request) -> web.Response:
    request.app[STORE].outbox.clear()
    return web.Response(status=204)


async def verification_code(request: web.Request) -> web.Response:
    try:
        message = request.app[STORE].outbox.latest(
            kind="verification_code", to=request.match_info["email"]
        )
    except LookupError:
        raise ApiError.not_found("verification code") from None
    return web.json_response({"code": message.code})


async def list_faults(request: web.Request) -> web.Response:
    return web.json_response({"rules": [r.to_json() for r in request.app[FAULTS].rules]})


async def add_fault(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        rule = FaultRule.from_json(body)
    except (TypeError, ValueError) as err:
        raise ApiError.invalid(f"fault rule ({err})") from None
    request.app[FAULTS].add(rule)
    return web.json_response(rule.to_json(), status=201)


async def clear_faults(request: web.Request) -> web.Response:
    request.app[FAULTS].clear()
    return web.Response(status=204)


async def requests(request: web.Request) -> web.Response:
    return web.json_response({"requests": [r.to_json() for r in request.app[REQUESTS]]})


async def transfer(request: web.Request) -> web.Response:
    found = request.app[STORE].transfers[_transfer_id(request)]
    data: dict[str, Any] = {
        "trackingId": found.tracking_id,
        "state": found.state,
        "password": found.password,
        "passwordMode": found.password_mode,
        "recipients": [{"mail": e.mail, "transferId": e.transfer_id} for e in found.entries],
    }
    return web.json_response(data)


async def admin_delete(request: web.Request) -> web.Response:
    found = request.app[STORE].admin_delete(_transfer_id(request))
    return web.json_response({"trackingId": found.tracking_id, "state": found.state})


async def expire(request: web.Request) -> web.Response:
    found = request.app[STORE].expire(_transfer_id(request))
    return web.json_response({"trackingId": found.tracking_id, "state": found.state})


async def lock(request: web.Request) -> web.Response:
    body = await json_body(request, optional=True)
    _only_keys(body, {"locked"}, "lock")
    locked = body.get("locked", True)
    if not isinstance(locked, bool):
        raise ApiError.invalid("locked (true or false)")
    found = request.app[STORE].set_locked(_transfer_id(request), locked)
    return web.json_response({"trackingId": found.tracking_id, "locked": found.locked})


async def view(request: web.Request) -> web.Response:
    body = await json_body(request)
    _only_keys(body, {"recipient", "fileId"}, "view")
    recipient = _email(body.get("recipient"), "recipient")
    file_id = body.get("fileId")
    if not isinstance(file_id, str):
        raise ApiError.invalid("fileId")
    try:
        request.app[STORE].record_view(_transfer_id(request), recipient, file_id)
    except KeyError:
        raise ApiError.not_found("recipient or file of this transfer") from None
    return web.Response(status=204)


async def cleanup(request: web.Request) -> web.Response:
    return web.json_response({"deleted": request.app[STORE].cleanup()})


async def seed_transfers(request: web.Request) -> web.Response:
    body = await json_body(request)
    _only_keys(body, {"sender", "count", "recipients", "state"}, "seed")
    sender = _email(body.get("sender"), "sender")
    count = body.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_SEED_COUNT:
        raise ApiError.invalid(f"count (an integer from 0 to {MAX_SEED_COUNT})")
    recipients = _email_list(
        body.get("recipients", ["recipient@example.org"]), "recipients", MAX_SEED_RECIPIENTS
    )
    if not recipients:
        raise ApiError.invalid("recipients (at least one)")
    state = body.get("state", "ACTIVE")
    if not isinstance(state, str) or state not in SEED_STATES:
        raise ApiError.invalid(f"state (one of {', '.join(sorted(SEED_STATES))})")
    store = request.app[STORE]
    if len(store.transfers) + count > MAX_TRANSFERS:
        raise ApiError.invalid(
            f"count (the emulator would hold more than {MAX_TRANSFERS} transfers;"
            f" it holds {len(store.transfers)})"
        )
    ids: list[str] = []
    while len(ids) < count:
        batch = min(_SEED_BATCH, count - len(ids))
        ids += store.seed_transfers(
            sender, batch, recipients=recipients, state=TransferState(state)
        )
        await asyncio.sleep(0)
    return web.json_response({"trackingIds": ids}, status=201)


async def notification_failures(request: web.Request) -> web.Response:
    body = await json_body(request)
    _only_keys(body, {"addresses"}, "notification failures")
    addresses = _email_list(body.get("addresses"), "addresses", MAX_FAILING_ADDRESSES)
    request.app[STORE].failing_addresses = {key(a) for a in addresses}
    return web.Response(status=204)


def add_control_routes(app: web.Application) -> None:
    base = "/_emulator"
    app.router.add_get(base + "/info", info)
    app.router.add_get(base + "/outbox", outbox)
    app.router.add_delete(base + "/outbox", clear_outbox)
    app.router.add_get(base + "/verification-code/{email}", verification_code)
    app.router.add_get(base + "/faults", list_faults)
    app.router.add_post(base + "/faults", add_fault)
    app.router.add_delete(base + "/faults", clear_faults)
    app.router.add_get(base + "/requests", requests)
    app.router.add_get(base + "/admin/transfers/{tracking_id}", transfer)
    app.router.add_post(base + "/admin/transfers/{tracking_id}/delete", admin_delete)
    app.router.add_post(base + "/admin/transfers/{tracking_id}/expire", expire)
    app.router.add_post(base + "/admin/transfers/{tracking_id}/lock", lock)
    app.router.add_post(base + "/admin/transfers/{tracking_id}/views", view)
    app.router.add_post(base + "/admin/cleanup", cleanup)
    app.router.add_post(base + "/admin/seed-transfers", seed_transfers)
    app.router.add_put(base + "/notification-failures", notification_failures)
