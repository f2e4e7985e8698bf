"""Transfer endpoints of a sender: status, revocation and the three lists.

Lists are ordered newest first (by finalization) and paged by ``page`` (1-based) and
``page-size`` (1 to 100, default 10); ``sent-transfers`` and ``received-transfers`` also
take ``active`` and ``fields``.

Example::

    app = web.Application()
    add_transfer_routes(app)
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from ._errors import ApiError
from ._fields import DEFAULT_FIELDS, Selection, parse_fields, project
from ._http import context, json_body, ok, parse_int
from ._routes_sender import verified
from ._state import Transfer
from ._views import basic_item, polling_item, session_view, status_view

__all__ = ["add_transfer_routes"]

MAX_PAGE_SIZE: Final = 100
DEFAULT_PAGE_SIZE: Final = 10
_DEFAULT_SELECTION: Final = parse_fields(DEFAULT_FIELDS)


def _page(request: web.Request, items: list[Transfer]) -> list[Transfer]:
    page = _int_query(request, "page", 1)
    size = _int_query(request, "page-size", DEFAULT_PAGE_SIZE)
    if page < 1:
        raise ApiError.invalid("page (1-based)")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError.invalid(f"page-size (1 to {MAX_PAGE_SIZE})")
    start = (page - 1) * size
    return items[start : start + size]


def _int_query(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    value = parse_int(raw.strip())
    if value is None:
        raise ApiError.invalid(name)
    return value


def _active(request: web.Request) -> bool | None:
    raw = request.query.get("active")
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise ApiError.invalid("active (true or false)")
    return raw.lower() == "true"


def _selection(request: web.Request) -> Selection:
    raw = request.query.get("fields")
    if raw is None:
        return _DEFAULT_SELECTION
    try:
        return parse_fields(raw)
    except ValueError as err:
        raise ApiError.invalid(f"fields ({err})") from None


async def transfer_status(request: web.Request) -> web.Response:
    store, email, token = verified(request)
    transfer = store.transfer_for(email, request.match_info["tracking_id"])
    language = context(request).accept_language
    return ok(
        {
            "transfer": session_view(store, transfer, show_password=token.value == transfer.token),
            "status": status_view(store, transfer, token=token.value, language=language),
        }
    )


async def revoke(request: web.Request) -> web.Response:
    """Revocation: 204 on success; 409/2001 unless ACTIVE; 410/2006 when already deleted."""
    store, email, _token = verified(request)
    transfer = store.transfer_for(email, request.match_info["tracking_id"])
    body = await json_body(request)
    status = body.get("status")
    if not isinstance(status, dict) or status.get("state") != "DELETED_BY_REVOCATION":
        raise ApiError.invalid("status.state (DELETED_BY_REVOCATION is required)")
    options = body.get("revocationOptions") or {}
    if not isinstance(options, dict):
        raise ApiError.invalid("revocationOptions")
    for flag in ("notifySender", "notifyRecipients"):
        if flag in options and not isinstance(options[flag], bool):
            raise ApiError.invalid(f"revocationOptions.{flag}")
    if options.get("message") is not None and not isinstance(options["message"], str):
        raise ApiError.invalid("revocationOptions.message")
    store.revoke(transfer, options, context(request).accept_language)
    return web.Response(status=204)


async def legacy_list(request: web.Request) -> web.Response:
    store, email, token = verified(request)
    page = _page(request, store.sent(email, None))
    return ok([basic_item(store, t, token.value) for t in page])


async def sent_transfers(request: web.Request) -> web.Response:
    store, email, token = verified(request)
    selection, active = _selection(request), _active(request)
    language = context(request).accept_language
    page = _page(request, store.sent(email, active))
    items: list[Any] = [
        project(polling_item(store, t, token=token.value, language=language), selection)
        for t in page
    ]
    return ok(items)


async def received_transfers(request: web.Request) -> web.Response:
    store, email, token = verified(request)
    selection, active = _selection(request), _active(request)
    language = context(request).accept_language
    page = _page(request, store.received(email, active))
    items: list[Any] = [
        project(
            polling_item(store, t, token=token.value, language=language, viewer=email), selection
        )
        for t in page
    ]
    return ok(items)


def add_transfer_routes(app: web.Application) -> None:
    transfers = "/api/users/{email}/transfers"
    app.router.add_get(transfers, legacy_list)
    app.router.add_get(transfers + "/sent-transfers", sent_transfers)
    app.router.add_get(transfers + "/received-transfers", received_transfers)
    app.router.add_get(transfers + "/{tracking_id}", transfer_status)
    app.router.add_patch(transfers + "/{tracking_id}", revoke)
