"""PATCH of a transfer session: one validator per field, applied all or nothing.

Each validator takes the sent value and a :class:`PatchContext` and returns the value
to store, or raises :class:`ApiError` (400/1004 malformed, 409/2001 forbidden by a rule
or the transfer policy, 501 unsupported security mode). Unknown members are ignored, as
on creation; ``recipients`` and ``files`` cannot be patched (400/1004).

Example::

    >>> sorted(PATCH_FIELDS)[:3]
    ['classificationId', 'confidentialMessageFileId', 'expirationDate']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from ._errors import ApiError
from ._policy import EffectivePolicy
from ._rules import (
    generate_password,
    parse_datetime,
    validate_algorithm,
    validate_language,
    validate_notification,
    validate_security_mode,
    validate_sender,
)
from ._state import Session, iso, now

__all__ = ["PATCH_FIELDS", "PatchContext", "apply_patch"]


@dataclass(slots=True)
class PatchContext:
    """What a validator may consult; ``password`` is the session's password after the
    patch (a validator of ``securityMode`` sets it)."""

    session: Session
    policy: EffectivePolicy
    password: str | None


Validator = Callable[[Any, PatchContext], Any]


def _boolean(name: str, changeable: Callable[[EffectivePolicy], bool] | None = None) -> Validator:
    def validate(value: Any, ctx: PatchContext) -> bool:
        if not isinstance(value, bool):
            raise ApiError.invalid(name)
        fixed = changeable is not None and not changeable(ctx.policy)
        if fixed and value != ctx.session.settings[name]:
            raise ApiError.rule_violation(f"The policy does not let {name} be changed.")
        return value

    return validate


def _sender(value: Any, ctx: PatchContext) -> dict[str, str]:
    return {**ctx.session.settings["sender"], **validate_sender(value)}


def _expiration(value: Any, ctx: PatchContext) -> str:
    moment = parse_datetime(value, "expirationDate")
    if moment <= now():
        raise ApiError.rule_violation("The expiration date is in the past.")
    if moment > now() + timedelta(days=ctx.policy.max_retention_days):
        raise ApiError.rule_violation("The expiration date exceeds the maximum retention period.")
    return iso(moment)


def _algorithm(value: Any, ctx: PatchContext) -> str:
    return validate_algorithm(value)


def _notification(value: Any, ctx: PatchContext) -> dict[str, str]:
    merged = {**ctx.session.settings["notificationMessage"], **validate_notification(value)}
    editable = ctx.policy.recipient_notification_editable
    if not editable and merged != ctx.session.settings["notificationMessage"]:
        raise ApiError.rule_violation("The policy does not let the notification be edited.")
    return merged


def _language(name: str) -> Validator:
    def validate(value: Any, ctx: PatchContext) -> str:
        return validate_language(value, name)

    return validate


def _security_mode(value: Any, ctx: PatchContext) -> dict[str, Any]:
    mode, password = validate_security_mode(value)
    if mode not in ctx.policy.allowed_password_modes:
        raise ApiError.rule_violation(f"The policy does not allow password mode {mode}.")
    if mode == "GENERATED":
        # Kept while the mode stays GENERATED; a new one when it is chosen anew.
        same = ctx.session.settings["securityMode"]["config"]["passwordMode"] == mode
        password = (ctx.session.password if same else None) or generate_password()
    ctx.password = password
    return {"name": "ONE_TIME_PASSWORD", "config": {"passwordMode": mode}}


def _classification(value: Any, ctx: PatchContext) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ApiError.invalid("classificationId")
    return value


def _confidential_message(value: Any, ctx: PatchContext) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ApiError.invalid("confidentialMessageFileId")
    if value is not None and not ctx.policy.confidential_message_allowed:
        raise ApiError.rule_violation("The policy does not allow a confidential message.")
    if value is not None and value not in ctx.session.files:
        raise ApiError.rule_violation("The confidential message file is unknown.")
    return value


#: Patchable field → its validator.
PATCH_FIELDS: Final[dict[str, Validator]] = {
    "sendDownloadNotifications": _boolean(
        "sendDownloadNotifications", lambda p: p.send_download_notifications_changeable
    ),
    "sendDownloadSummary": _boolean("sendDownloadSummary"),
    "sendRecipientNotification": _boolean("sendRecipientNotification"),
    "sendUploadSummary": _boolean("sendUploadSummary"),
    "showFileNames": _boolean("showFileNames", lambda p: p.show_file_names_changeable),
    "showZipFileContent": _boolean("showZipFileContent"),
    "sender": _sender,
    "expirationDate": _expiration,
    "fileChecksumAlgorithm": _algorithm,
    "notificationMessage": _notification,
    "senderLanguage": _language("senderLanguage"),
    "recipientLanguage": _language("recipientLanguage"),
    "securityMode": _security_mode,
    "classificationId": _classification,
    "confidentialMessageFileId": _confidential_message,
}


def apply_patch(session: Session, policy: EffectivePolicy, body: dict[str, Any]) -> None:
    """Validate every field, then change the session (nothing changes on an error)."""
    if "recipients" in body or "files" in body:
        raise ApiError.invalid("recipients and files cannot be patched")
    ctx = PatchContext(session, policy, session.password)
    changes = {
        name: PATCH_FIELDS[name](value, ctx) for name, value in body.items() if name in PATCH_FIELDS
    }
    session.settings.update(changes)
    session.password = ctx.password
