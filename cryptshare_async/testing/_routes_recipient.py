"""Recipient endpoints: transfer info, file list, downloads (one file, ZIP, EML, checksums).

The password comes URL-encoded in ``X-CS-Password`` or as the ``password`` query parameter.
The ZIP and the EML answer on the schema's paths (``/zip``, ``/eml``) and on the manual's
(``/files/zip``, ``/files/eml``); those are registered before the single-file route.

Example::

    app = web.Application()
    add_recipient_routes(app)
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote, unquote

from aiohttp import web

from ._bundles import Attachment, checksums_csv, write_eml, write_zip
from ._errors import ApiError
from ._http import context, ok, parse_int
from ._i18n import language_of
from ._keys import STORE
from ._lifecycle import FileState
from ._state import RecipientEntry, StoredFile, Transfer
from ._store import Store
from ._upload import send_temporary, stream_file

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


def _active_files(transfer: Transfer) -> list[StoredFile]:
    return [
        f for f in transfer.files.values() if f.state == FileState.ACTIVE and f.path is not None
    ]


def file_href(transfer_id: str, file_id: str, minor_version: int) -> str:
    """The absolute path of a recipient's file, with a query as the server gives one.

    Which parameters the server's query holds is not documented; the emulator's carries
    the API version parameters of the request (never the password or the client id), so
    that a client must keep the query when it builds root + href.
    """
    query = f"major-api-version=1&minimum-minor-api-version={minor_version}"
    return f"/api/transfers/{quote(transfer_id)}/files/{quote(file_id)}?{query}"


async def transfer_info(request: web.Request) -> web.Response:
    store, transfer, _entry = _resolve(request)
    total = sum(f.size for f in transfer.files.values() if f.state == FileState.ACTIVE)
    return ok({"checksumAlgorithm": store.checksum_algorithm(transfer), "totalSize": total})


async def transfer_files(request: web.Request) -> web.Response:
    _store, transfer, entry = _resolve(request)
    minor = context(request).minor_version
    items = [
        {
            "id": f.id,
            "fileName": f.name,
            "size": f.size,
            "checksum": f.digest,
            "href": file_href(entry.transfer_id, f.id, minor),
        }
        for f in transfer.files.values()
        if f.state == FileState.ACTIVE
    ]
    return ok(items)


async def download(request: web.Request) -> web.StreamResponse:
    store, transfer, entry = _resolve(request)
    stored = transfer.files.get(request.match_info["file_id"])
    if stored is None or stored.state != FileState.ACTIVE or stored.path is None:
        raise ApiError.not_found("file")
    store.record_download(transfer, entry, stored)
    return stream_file(stored.path, stored.name)


def _flag(request: web.Request, name: str) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise ApiError.invalid(f"{name} (true or false)")
    return raw.lower() == "true"


def _checksums(store: Store, transfer: Transfer, request: web.Request) -> str:
    algorithm = store.checksum_algorithm(transfer)
    rows = [(f.name, f.size, f.digest or "", algorithm) for f in _active_files(transfer)]
    return checksums_csv(rows, language_of(request.headers.get("Accept-Language")))


async def checksums(request: web.Request) -> web.Response:
    store, transfer, _entry = _resolve(request)
    text = _checksums(store, transfer, request)
    disposition = f"attachment; filename=checksums-{transfer.tracking_id}.csv"
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": disposition},
    )


async def download_zip(request: web.Request) -> web.StreamResponse:
    store, transfer, entry = _resolve(request)
    with_checksums = _flag(request, "include-checksum-file")
    files = _active_files(transfer)
    attachments: list[Attachment] = [(f.name, f.path) for f in files if f.path is not None]
    text = _checksums(store, transfer, request) if with_checksums else None
    target = store.scratch_path(".zip")
    try:
        await asyncio.to_thread(write_zip, target, attachments, text)
    except FileNotFoundError:
        target.unlink(missing_ok=True)
        raise ApiError.deleted() from None  # deleted while being zipped
    for stored in files:
        store.record_download(transfer, entry, stored)
    return await send_temporary(request, target, f"{transfer.tracking_id}.zip", "application/zip")


async def download_eml(request: web.Request) -> web.StreamResponse:
    store, transfer, entry = _resolve(request)
    raw_threshold = request.query.get("threshold")
    threshold = None
    if raw_threshold is not None:
        threshold = parse_int(raw_threshold.strip())
        if threshold is None:
            raise ApiError.invalid("threshold (megabytes, an integer >= 0)")
    message_id = transfer.settings.get("confidentialMessageFileId")
    message = transfer.files.get(message_id) if isinstance(message_id, str) else None
    if message is None or message.state != FileState.ACTIVE or message.path is None:
        raise ApiError.not_found("confidential message (this transfer has none)")
    others = [f for f in _active_files(transfer) if f.id != message.id]
    attachments: list[Attachment] = [(f.name, f.path) for f in others if f.path is not None]
    target = store.scratch_path(".eml")
    language = language_of(context(request).accept_language)
    try:
        attached = await asyncio.to_thread(
            write_eml,
            target,
            sender=transfer.email,
            recipient=entry.mail,
            subject=store.eml_subject(transfer, language),
            message=message.path,
            files=attachments,
            threshold_bytes=None if threshold is None else threshold * 1024 * 1024,
        )
    except FileNotFoundError:
        target.unlink(missing_ok=True)
        raise ApiError.deleted() from None
    store.record_download(transfer, entry, message)
    for stored in others:
        if stored.name in attached:
            store.record_download(transfer, entry, stored)
    return await send_temporary(
        request, target, f"{transfer.tracking_id}.eml", "application/octet-stream"
    )


def add_recipient_routes(app: web.Application) -> None:
    base = "/api/transfers/{transfer_id}"
    app.router.add_get(base, transfer_info)
    app.router.add_get(base + "/files", transfer_files)
    app.router.add_get(base + "/zip", download_zip)
    app.router.add_get(base + "/files/zip", download_zip)
    app.router.add_get(base + "/eml", download_eml)
    app.router.add_get(base + "/files/eml", download_eml)
    app.router.add_get(base + "/checksums", checksums)
    app.router.add_get(base + "/files/{file_id}", download)
