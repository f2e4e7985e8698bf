"""How transfers look on the command line: JSON documents and text summaries.

Only what a user needs is shown. Download URLs are never shown: for transfers without a
password they carry the password.

Example::

    status = await alice.transfer(tracking_id).status()
    for line in status_lines(tracking_id, status):
        print(line)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from .. import Fields, SessionState, StatusDetails, TransferListItem, TransferStatus
from ._console import human_size, local_time

__all__ = [
    "LIST_FIELDS",
    "list_header",
    "list_row",
    "status_lines",
    "transfer_json",
]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _recipients(session: SessionState | None) -> list[dict[str, str]]:
    if session is None or session.recipients is None:
        return []
    found: list[dict[str, str]] = []
    for kind in ("to", "cc", "bcc"):
        for recipient in getattr(session.recipients, kind) or ():
            found.append({"mail": recipient.mail, "kind": kind})
    return found


def _files(details: StatusDetails | None, session: SessionState | None) -> list[dict[str, Any]]:
    removal = {f.id: f for f in (details.files if details is not None else None) or ()}
    files: list[dict[str, Any]] = []
    for file in (session.files if session is not None else None) or ():
        status = removal.get(file.id)
        files.append(
            {
                "id": file.id,
                "name": file.file_name,
                "size": file.size,
                "removed": bool(status.removed) if status is not None else False,
                "removal_cause": status.removal_cause if status is not None else None,
            }
        )
    return files


def _downloads(details: StatusDetails | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for recipient in (details.recipients if details is not None else None) or ():
        if recipient.mail is None:
            continue
        counts[recipient.mail.casefold()] = sum(
            len(f.downloads or ()) for f in recipient.file_downloads or ()
        )
    return counts


def _failed_notifications(details: StatusDetails | None) -> set[str]:
    return {
        r.mail.casefold()
        for r in (details.recipients if details is not None else None) or ()
        if r.mail is not None and r.notification_failed
    }


def transfer_json(
    tracking_id: str | None, details: StatusDetails | None, session: SessionState | None
) -> dict[str, Any]:
    """A transfer as a JSON-ready dict (keys are stable; unknown values are ``None``).

    Example::

        >>> transfer_json("t1", None, None)["state"] is None
        True
    """
    downloads = _downloads(details)
    failed = _failed_notifications(details)
    recipients = [
        {
            **r,
            "downloads": downloads.get(r["mail"].casefold()),
            "notification_failed": r["mail"].casefold() in failed,
        }
        for r in _recipients(session)
    ]
    sender = details.sender.email if details is not None and details.sender else None
    return {
        "tracking_id": tracking_id,
        "state": details.state.value if details is not None and details.state else None,
        "warnings": details.warnings if details is not None else None,
        "sender": sender,
        "expiration_date": _iso(session.expiration_date) if session is not None else None,
        "recipients": recipients,
        "files": _files(details, session),
    }


def status_lines(tracking_id: str, status: TransferStatus) -> Iterator[str]:
    """A transfer status as aligned ``name  value`` lines."""
    view = transfer_json(tracking_id, status.status, status.transfer)
    expiration = status.transfer.expiration_date if status.transfer is not None else None
    yield f"tracking id  {tracking_id}"
    yield f"state        {view['state'] or 'not reported'}"
    yield f"expires      {local_time(expiration)}"
    files = view["files"]
    total = sum(f["size"] or 0 for f in files)
    yield f"files        {len(files)} ({human_size(total)})"
    width = max((len(f["name"] or "") for f in files), default=0)
    for file in files:
        line = f"  {(file['name'] or file['id'] or '?').ljust(width)}  {human_size(file['size'])}"
        if file["removed"]:
            line += f"  removed: {file['removal_cause'] or 'no cause given'}"
        yield line
    recipients = view["recipients"]
    yield f"recipients   {len(recipients)}"
    width = max((len(r["mail"]) for r in recipients), default=0)
    for recipient in recipients:
        line = f"  {recipient['mail'].ljust(width)}  {recipient['kind']}"
        if recipient["downloads"] is not None:
            line += f"  downloads: {recipient['downloads']}"
        if recipient["notification_failed"]:
            line += "  notification failed"
        yield line
    if view["warnings"]:
        yield "warnings     yes (a file was removed or a notification failed)"


#: What the listings request: only what the table and the JSON lines show.
LIST_FIELDS = Fields(
    "tracking_id",
    status=Fields("state", "warnings", "files", sender=["email"]),
    transfer=Fields(
        "expiration_date", recipients=["to", "cc", "bcc"], files=["id", "file_name", "size"]
    ),
)

_COLUMNS = ((24, "TRACKING ID"), (21, "STATE"), (22, "EXPIRES"), (6, "FILES"), (10, "SIZE"))


def list_header(*, received: bool) -> str:
    """The header row of the listing table."""
    last = "FROM" if received else "RECIPIENTS"
    return "  ".join(title.ljust(width) for width, title in _COLUMNS) + "  " + last


def list_row(item: TransferListItem, *, received: bool) -> str:
    """One transfer as a row of the listing table (fixed widths, so rows can stream)."""
    view = transfer_json(item.tracking_id, item.status, item.transfer)
    expiration = item.transfer.expiration_date if item.transfer is not None else None
    files = view["files"]
    if received:
        last = view["sender"] or "-"
    else:
        mails = [r["mail"] for r in view["recipients"]]
        last = (mails[0] + (f" (+{len(mails) - 1})" if len(mails) > 1 else "")) if mails else "-"
    cells = (
        view["tracking_id"] or "-",
        view["state"] or "-",
        local_time(expiration),
        str(len(files)),
        human_size(sum(f["size"] or 0 for f in files)),
    )
    return "  ".join(c.ljust(w) for (w, _), c in zip(_COLUMNS, cells, strict=True)) + "  " + last
