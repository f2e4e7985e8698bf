"""Recipient endpoints: transfer info, file list and file download, guarded by the password.

The password comes URL-encoded in ``X-CS-Password`` or as the ``password`` query parameter.

Example::

    app = web.Application()
    add_recipient_routes(app)
"""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from ._errors import ApiError
from ._http import ok
from ._keys import STORE
from ._state import RecipientEntry, Transfer
from ._store import Store
from ._upload import stream_file

__all__ = ["add_recipient_routes"]


def _password(request: web.Request) -> str | None:
    header = request.headers.get("X-CS-Password")
    if header is not None:
        return unquote(header)
    return request.query.get("password")


def _resolve(request: web.Request) -> tuple[Store, Transfer, RecipientEntry]:
    store = request.app[STORE]
    transfer, entry = store.recipient_transfer(
        request.match_info["transfer_id"], _password(request)
    )
    return store, transfer, entry


def _files_href(store: Store, transfer_id: str, file_id: str) -> str:
    return f"{store.root_url}/api/transfers/{transfer_id}/files/{file_id}"


async def transfer_info(request: web.Request) -> web.Response:
    store, transfer, _entry = _resolve(request)
    total = sum(f.size for f in transfer.files.values() if f.state == "ACTIVE")
    return ok({"checksumAlgorithm": store.checksum_algorithm(transfer), "totalSize": total})


async def transfer_files(request: web.Request) -> web.Response:
    store, transfer, entry = _resolve(request)
    items = [
        {
            "id": f.id,
            "fileName": f.name,
            "size": f.size,
            "checksum": f.digest,
            "href": _files_href(store, entry.transfer_id, f.id),
        }
        for f in transfer.files.values()
        if f.state == "ACTIVE"
    ]
    return ok(items)


async def download(request: web.Request) -> web.StreamResponse:
    store, transfer, entry = _resolve(request)
    stored = transfer.files.get(request.match_info["file_id"])
    if stored is None or stored.state != "ACTIVE" or stored.path is None:
        raise ApiError.not_found("file")
    store.record_download(transfer, entry, stored)
    return stream_file(stored.path, stored.name)


def add_recipient_routes(app: web.Application) -> None:
    base = "/api/transfers/{transfer_id}"
    app.router.add_get(base, transfer_info)
    app.router.add_get(base + "/files", transfer_files)
    app.router.add_get(base + "/files/{file_id}", download)
