"""Validation of request bodies: sessions, patches, files, passwords, emails.

Each function returns cleaned values or raises :class:`ApiError` with the spec's code.
Members a body may not have are ignored, as by the server (the schema does not forbid
them, and clients written against a real server send some, e.g. ``sender.email``); a
*known* member with a wrong value is refused.

Example::

    >>> password_rule_failures("short")[0]["name"]
    'minimumLengthRequired'
    >>> is_email("a@example.org"), is_email("nope")
    (True, False)
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime
from typing import Any, Final

from ._checks import hash_name
from ._errors import ApiError

__all__ = [
    "PASSWORD_RULES",
    "generate_password",
    "is_email",
    "parse_datetime",
    "password_rule_failures",
    "validate_recipients",
]

_EMAIL: Final = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")
PASSWORD_MIN_LENGTH: Final = 8
#: The active rules, named as the vendor's "Password operations" page names them.
PASSWORD_RULES: Final[list[dict[str, Any]]] = [
    {"name": "minimumLengthRequired", "details": {"minimumLength": PASSWORD_MIN_LENGTH}},
    {"name": "lettersRequired", "details": {"minimumCount": 1}},
    {"name": "digitsRequired", "details": {"minimumCount": 1}},
]
_LANGUAGE: Final = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def is_email(value: object) -> bool:
    return isinstance(value, str) and _EMAIL.match(value) is not None


def parse_datetime(value: object, what: str) -> datetime:
    """An aware datetime from ISO 8601 text; 400/1004 otherwise."""
    if not isinstance(value, str):
        raise ApiError.invalid(what)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError.invalid(what) from None
    if moment.tzinfo is None:
        raise ApiError.invalid(f"{what} (a numeric offset is required)")
    return moment


def validate_recipients(value: object) -> dict[str, list[str]]:
    """``{"to": [{"mail": ...}], "cc": [...], "bcc": [...]}`` → lists of addresses."""
    if not isinstance(value, dict):
        raise ApiError.invalid("recipients")
    out: dict[str, list[str]] = {}
    for kind in ("to", "cc", "bcc"):
        entries = value.get(kind) or []
        if not isinstance(entries, list):
            raise ApiError.invalid(f"recipients.{kind}")
        mails = []
        for entry in entries:
            if not isinstance(entry, dict) or not is_email(entry.get("mail")):
                raise ApiError.invalid(f"recipients.{kind}[].mail")
            mails.append(entry["mail"])
        out[kind] = mails
    if not any(out.values()):
        raise ApiError.invalid("recipients (at least one recipient is required)")
    return out


def validate_sender(value: object) -> dict[str, str]:
    """``name`` and ``phone``; other members (``email``, say) are ignored."""
    if not isinstance(value, dict):
        raise ApiError.invalid("sender")
    known = {k: v for k, v in value.items() if k in ("name", "phone")}
    for key, item in known.items():
        if item is not None and not isinstance(item, str):
            raise ApiError.invalid(f"sender.{key}")
    return {k: v for k, v in known.items() if v is not None}


def validate_language(value: object, what: str) -> str:
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        raise ApiError.invalid(what)
    return value


def validate_algorithm(value: object) -> str:
    if not isinstance(value, str):
        raise ApiError.invalid("fileChecksumAlgorithm")
    if hash_name(value) is None:
        raise ApiError.rule_violation(f"Checksum algorithm {value!r} is not supported.")
    return value


def validate_notification(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ApiError.invalid("notificationMessage")
    known = {k: v for k, v in value.items() if k in ("subject", "body")}
    if any(v is not None and not isinstance(v, str) for v in known.values()):
        raise ApiError.invalid("notificationMessage")
    return {k: v for k, v in known.items() if v is not None}


def validate_security_mode(value: object) -> tuple[str, str | None]:
    """``(passwordMode, manual password or None)`` from a ``securityMode`` object."""
    if not isinstance(value, dict):
        raise ApiError.invalid("securityMode")
    name = value.get("name", "ONE_TIME_PASSWORD")
    if name == "QUICK":
        raise ApiError(501, 5001)
    if name in ("EID", "E_ID"):
        raise ApiError(501, 5002)
    if name != "ONE_TIME_PASSWORD":
        raise ApiError.invalid("securityMode.name")
    config = value.get("config") or {}
    if not isinstance(config, dict):
        raise ApiError.invalid("securityMode.config")
    mode = config.get("passwordMode", "GENERATED")
    if mode not in ("GENERATED", "MANUAL", "NONE"):
        raise ApiError.invalid("securityMode.config.passwordMode")
    password = config.get("password")
    if password is not None and not isinstance(password, str):
        raise ApiError.invalid("securityMode.config.password")
    if mode == "MANUAL":
        if not password:
            raise ApiError.rule_violation("Password mode MANUAL requires a password.")
        if password_rule_failures(password):
            raise ApiError.rule_violation("The password does not fulfil the password rules.")
        return mode, password
    return mode, None


def password_rule_failures(password: str) -> list[dict[str, Any]]:
    """The rules of :data:`PASSWORD_RULES` that ``password`` breaks."""
    failed = []
    if len(password) < PASSWORD_MIN_LENGTH:
        failed.append(PASSWORD_RULES[0])
    if not any(c.isalpha() for c in password):
        failed.append(PASSWORD_RULES[1])
    if not any(c.isdigit() for c in password):
        failed.append(PASSWORD_RULES[2])
    return failed


def generate_password(length: int = 12) -> str:
    """A password that fulfils every rule."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not password_rule_failures(candidate):
            return candidate
