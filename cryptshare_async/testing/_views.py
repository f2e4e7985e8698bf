"""Render records as the API's JSON (plain dicts).

A session's own fields are all present, ``null`` included ("all properties will be
present", says the schema of ``GET .../transfer-sessions/{id}``; ``confidentialMessageFileId``
"may be null"). Elsewhere the 1.8 schema declares no field nullable, so a ``None`` is
left out (a missing ``downloadUrl``, ``removalCause`` ...). Every ``href`` is an absolute
path (``/api/...``), as the schema says: clients build root + href.

Example::

    >>> drop_none({"a": 1, "b": None, "c": {"d": None}})
    {'a': 1, 'c': {}}
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ._i18n import text
from ._state import RecipientEntry, Session, StoredFile, Transfer, iso
from ._store import Store, key

__all__ = [
    "basic_item",
    "drop_none",
    "polling_item",
    "session_href",
    "session_view",
    "status_view",
    "transfer_href",
]


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in data.items():
        if value is None:
            continue
        out[name] = drop_none(value) if isinstance(value, dict) else value
    return out


def user_path(email: str) -> str:
    return f"/api/users/{quote(email, safe='@')}"


def session_href(email: str, tracking_id: str) -> str:
    return f"{user_path(email)}/transfer-sessions/{tracking_id}"


def transfer_href(email: str, tracking_id: str) -> str:
    return f"{user_path(email)}/transfers/{tracking_id}"


def _recipients(recipients: dict[str, list[str]]) -> dict[str, list[dict[str, str]]]:
    return {kind: [{"mail": m} for m in recipients.get(kind, [])] for kind in ("to", "cc", "bcc")}


def _file(href: str, stored: StoredFile) -> dict[str, Any]:
    return drop_none(
        {
            "id": stored.id,
            "fileName": stored.name,
            "size": stored.size,
            "checksum": stored.checksum,
            "href": f"{href}/files/{stored.id}",
            "state": stored.state,
        }
    )


def session_view(
    store: Store, session: Session | Transfer, *, show_password: bool = True
) -> dict[str, Any]:
    """A TransferSession: settings, recipients and files.

    A finalized transfer's files point below the transfer (the session is gone). A
    GENERATED password is shown in ``securityMode.config.password`` (how the sender learns
    it) when ``show_password``; a MANUAL one never (the sender chose it).
    """
    if isinstance(session, Transfer):
        href = transfer_href(session.email, session.tracking_id)
    else:
        href = session_href(session.email, session.tracking_id)
    view = {k: drop_none(v) if isinstance(v, dict) else v for k, v in session.settings.items()}
    config = view["securityMode"]["config"]
    if show_password and config["passwordMode"] == "GENERATED" and session.password:
        view["securityMode"] = {**view["securityMode"], "config": {**config}}
        view["securityMode"]["config"]["password"] = session.password
    view["recipients"] = _recipients(session.recipients)
    view["files"] = [_file(href, f) for f in session.files.values()]
    return view


def _entry_status(
    store: Store, transfer: Transfer, entry: RecipientEntry, token: str | None
) -> dict[str, Any]:
    if transfer.password_mode == "NONE":
        same_token = bool(token) and token == transfer.token
        url = store.download_url(transfer, entry, with_password=True) if same_token else None
    else:
        url = store.download_url(transfer, entry, with_password=False)
    downloads = [
        {
            "id": file_id,
            "downloads": [
                {"downloadDate": iso(d.date), "retrievalMethod": d.method}
                for d in entry.downloads.get(file_id, [])
            ],
        }
        for file_id in transfer.files
    ]
    return drop_none(
        {
            "id": entry.transfer_id,
            "mail": entry.mail,
            "downloadUrl": url,
            "notificationFailed": entry.notification_failed,
            "fileDownloads": downloads,
        }
    )


def status_view(
    store: Store, transfer: Transfer, *, token: str | None, language: str | None
) -> dict[str, Any]:
    """The ``status`` half of a TransferStatus; removal causes in ``language``."""
    files = []
    for stored in transfer.files.values():
        item: dict[str, Any] = {"id": stored.id, "removed": stored.removal is not None}
        if stored.removal is not None:
            cause, params = stored.removal
            item["removalCause"] = text(cause, language, **params)
        files.append(item)
    return {
        "state": transfer.state,
        "warnings": transfer.warnings,
        "emlCreationFailed": transfer.eml_creation_failed,
        "sender": {
            "email": transfer.email,
            "notificationFailed": transfer.sender_notification_failed,
        },
        "files": files,
        "recipients": [_entry_status(store, transfer, e, token) for e in transfer.entries],
    }


def basic_item(store: Store, transfer: Transfer, token: str | None) -> dict[str, Any]:
    """An item of the legacy ``GET /users/{email}/transfers`` list."""
    return {
        "trackingId": transfer.tracking_id,
        "state": transfer.state,
        "recipients": [_entry_status(store, transfer, e, token) for e in transfer.entries],
        "href": transfer_href(transfer.email, transfer.tracking_id),
    }


def polling_item(
    store: Store,
    transfer: Transfer,
    *,
    token: str | None,
    language: str | None,
    viewer: str | None = None,
) -> dict[str, Any]:
    """An item of sent-/received-transfers; ``viewer`` set means the recipient's reduced view.

    In the reduced view other recipients' download URLs, transfer ids and file downloads
    are removed and BCC recipients other than the viewer are hidden.
    """
    status = status_view(store, transfer, token=token, language=language)
    same_token = bool(token) and token == transfer.token
    view = session_view(store, transfer, show_password=viewer is None and same_token)
    if viewer is not None:
        viewer_key = key(viewer)
        status["recipients"] = [
            r if key(r["mail"]) == viewer_key else {"mail": r["mail"], **_flags(r)}
            for r in status["recipients"]
            if key(r["mail"]) == viewer_key or not _is_hidden_bcc(transfer, r["mail"])
        ]
        bcc = view["recipients"]["bcc"]
        view["recipients"]["bcc"] = [r for r in bcc if key(r["mail"]) == viewer_key]
        if not any(key(e.mail) == viewer_key for e in transfer.entries):
            view.pop("confidentialMessageFileId", None)
            for item in view["files"]:
                item.pop("id", None)
            for item in status["files"]:
                item.pop("id", None)
    return {"trackingId": transfer.tracking_id, "status": status, "transfer": view}


def _flags(recipient: dict[str, Any]) -> dict[str, Any]:
    return {"notificationFailed": recipient["notificationFailed"]}


def _is_hidden_bcc(transfer: Transfer, mail: str) -> bool:
    return any(key(m) == key(mail) for m in transfer.recipients.get("bcc", []))
