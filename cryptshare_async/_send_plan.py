"""Everything a send needs, checked before the first request: a `SendPlan`.

A plan holds the recipients, the sender's contact, the session settings (in the form
:meth:`TransferSession.update` takes them) and the sources, each opened once to check it
exists, to learn its name and size, and to refuse two files of one name.

Example::

    plan = make_plan(["a.pdf"], to=["bob@example.org"], name="Alice", phone="1",
                     settings={"password_mode": PasswordMode.GENERATED})
"""

from __future__ import annotations

import inspect
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from attrs import define, field

from ._enums import PasswordMode
from ._errors import InvalidInputError
from ._models import SecurityMode, TransferSessionSettings
from ._session import TransferSession, _notification, _security_mode
from ._unset import UNSET, Unset
from ._upload import Source, UploadSource
from ._upload._dispatch import as_upload_source
from ._upload._upload import choose_name
from ._validation import validate_recipients

__all__ = ["SETTING_NAMES", "SendPlan", "check_settings", "check_sources", "make_plan"]

# name/phone are the creation's contact; a confidential message needs a file id, which
# only exists after an upload (use session.set_confidential_message() inside a session).
_NOT_SETTINGS: Final = frozenset({"self", "name", "phone", "confidential_message_file_id"})

#: The settings a send applies with one ``update()``: those ``TransferSession.update`` takes.
SETTING_NAMES: Final = tuple(
    name
    for name in inspect.signature(TransferSession.update).parameters
    if name not in _NOT_SETTINGS
)

_BOOLS: Final = frozenset(
    {
        "show_file_names",
        "show_zip_file_content",
        "send_recipient_notification",
        "send_upload_summary",
        "send_download_notifications",
        "send_download_summary",
    }
)
_STRINGS: Final = frozenset(
    {
        "password",
        "notification_subject",
        "notification_body",
        "sender_language",
        "recipient_language",
        "file_checksum_algorithm",
    }
)
_TYPED: Final = (
    ("classification_id", (str, type(None)), "a str or None"),
    ("expiration_date", datetime, "a timezone-aware datetime"),
    ("security_mode", SecurityMode, "a SecurityMode"),
)


@define(frozen=True, slots=True)
class SendPlan:
    """A checked send: recipients, contact, settings and sources."""

    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    name: str
    phone: str
    settings: Mapping[str, Any] = field(repr=False)  # may hold a transfer password
    sources: tuple[UploadSource, ...] = field(repr=False)
    total_size: int = 0


def check_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings given (``UNSET`` ones left out), each checked as ``update()`` would
    before sending. Raises :class:`InvalidInputError`."""
    given = {k: v for k, v in settings.items() if not isinstance(v, Unset)}
    unknown = sorted(set(given) - set(SETTING_NAMES))
    if unknown:
        hint = ""
        if "confidential_message_file_id" in unknown:
            hint = "; set the confidential message after uploading it, in a session"
        raise InvalidInputError(
            f"unknown setting(s) {unknown}; the settings are {list(SETTING_NAMES)}{hint}"
        )
    for name, value in given.items():
        if name in _BOOLS and not isinstance(value, bool):
            raise InvalidInputError(f"{name} must be a bool, got {value!r}")
        if name in _STRINGS and not isinstance(value, str):
            raise InvalidInputError(f"{name} must be a str, got {type(value).__name__}")
    for name, kind, what in _TYPED:
        if name in given and not isinstance(given[name], kind):
            raise InvalidInputError(f"{name} must be {what}, got {type(given[name]).__name__}")
    if "password_mode" in given:
        try:
            PasswordMode(given["password_mode"])
        except ValueError:
            allowed = [m.value for m in PasswordMode]
            raise InvalidInputError(
                f"password_mode must be a PasswordMode ({allowed}), got {given['password_mode']!r}"
            ) from None
    # The same constructions update() makes, so that its checks run now.
    TransferSessionSettings(
        expiration_date=given.get("expiration_date", UNSET),
        security_mode=_security_mode(
            given.get("security_mode", UNSET),
            given.get("password_mode", UNSET),
            given.get("password", UNSET),
        ),
        notification_message=_notification(
            given.get("notification_subject", UNSET), given.get("notification_body", UNSET)
        ),
    )
    return given


def check_sources(sources: Iterable[Source]) -> tuple[tuple[UploadSource, ...], int]:
    """Every source wrapped and opened once: their total size. Refuses a single source
    given bare, an empty list, and two files of one name."""
    if isinstance(sources, str | bytes | bytearray | memoryview | os.PathLike | UploadSource):
        raise InvalidInputError("sources is a list of files: pass [source] for a single one")
    if not isinstance(sources, Iterable):
        raise InvalidInputError(f"sources must be a list of files, got {type(sources).__name__}")
    items = tuple(as_upload_source(source) for source in sources)
    if not items:
        raise InvalidInputError("a transfer needs at least one file")
    names: list[str] = []
    total = 0
    for item in items:
        opened = item.open()
        try:
            names.append(choose_name(item, opened, None))
            total += opened.size
        finally:
            opened.close()
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise InvalidInputError(f"file names must be unique per transfer; repeated: {duplicates}")
    return items, total


def check_contact(name: object, phone: object) -> tuple[str, str]:
    for what, value in (("name", name), ("phone", phone)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidInputError(f"the sender's {what} must be a non-empty str")
    return name, phone  # type: ignore[return-value]


def make_plan(
    sources: Iterable[Source] | None,
    *,
    to: Iterable[str],
    cc: Iterable[str],
    bcc: Iterable[str],
    name: str,
    phone: str,
    settings: Mapping[str, Any],
) -> SendPlan:
    """Check everything; ``sources=None`` plans a session without files (yet)."""
    to_list, cc_list, bcc_list = validate_recipients(to, cc, bcc)
    name, phone = check_contact(name, phone)
    if not isinstance(settings, Mapping):
        raise InvalidInputError("settings must be a mapping of setting name to value")
    checked = check_settings(settings)
    items, total = check_sources(sources) if sources is not None else ((), 0)
    return SendPlan(
        to=to_list,
        cc=cc_list,
        bcc=bcc_list,
        name=name,
        phone=phone,
        settings=checked,
        sources=items,
        total_size=total,
    )
