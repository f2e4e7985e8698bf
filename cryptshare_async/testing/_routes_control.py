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
``POST /_emulator/admin/cleanup``          run the cleanup task now
``POST /_emulator/admin/seed-transfers``   ``{"sender", "count", "recipients"?, "state"?}``
``PUT /_emulator/notification-failures``   ``{"addresses": [...]}``: mails to them fail
=========================================  ==========================================

Example::

    curl http://127.0.0.1:8080/_emulator/verification-code/alice@example.com
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._errors import ApiError
from ._faults import FaultRule
from ._http import json_body
from ._keys import FAULTS, REQUESTS, STORE
from ._store import key

__all__ = ["add_control_routes"]


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


async def outbox(request: web.Request) -> web.Response:
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
    try:
        rule = FaultRule.from_json(await json_body(request))
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


async def cleanup(request: web.Request) -> web.Response:
    return web.json_response({"deleted": request.app[STORE].cleanup()})


async def seed_transfers(request: web.Request) -> web.Response:
    body = await json_body(request)
    sender, count = body.get("sender"), body.get("count")
    recipients = body.get("recipients", ["recipient@example.org"])
    state = body.get("state", "ACTIVE")
    if not isinstance(sender, str) or not isinstance(count, int) or count < 0:
        raise ApiError.invalid("sender and count are required")
    if not isinstance(recipients, list) or not isinstance(state, str):
        raise ApiError.invalid("recipients or state")
    ids = request.app[STORE].seed_transfers(sender, count, recipients=recipients, state=state)
    return web.json_response({"trackingIds": ids}, status=201)


async def notification_failures(request: web.Request) -> web.Response:
    addresses = (await json_body(request)).get("addresses")
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise ApiError.invalid("addresses")
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
    app.router.add_post(base + "/admin/cleanup", cleanup)
    app.router.add_post(base + "/admin/seed-transfers", seed_transfers)
    app.router.add_put(base + "/notification-failures", notification_failures)
