"""Checks on values the caller gives, run before anything is sent.

Example::

    >>> validate_email("Alice+tag@example.com")
    'Alice+tag@example.com'
    >>> email_path_segment("Alice+tag@example.com")
    'Alice%2Btag@example.com'
"""

from __future__ import annotations

import functools
import re
import secrets
import string
from collections.abc import Iterable
from urllib.parse import quote

from . import _public
from ._errors import ConfigurationError, InvalidInputError

__all__ = [
    "email_path_segment",
    "generate_client_id",
    "path_segment",
    "server_id",
    "validate_client_id",
    "validate_email",
    "validate_header_value",
    "validate_recipients",
]

CLIENT_ID_MIN_LENGTH = 50
CLIENT_ID_MAX_LENGTH = 4000
_CLIENT_ID = re.compile(r"[A-Za-z0-9]+")
_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits

# A pragmatic address check: one "@", a non-empty local part without spaces, control
# characters or the separators that would make it several addresses, and a domain of
# dot-separated labels (non-ASCII allowed, for internationalised addresses).
_LOCAL = re.compile(r"[^\s\x00-\x1f\x7f<>()\[\],;:\\\"@]+")
_LABEL = re.compile(r"[^\s\x00-\x1f\x7f<>()\[\],;:\\\"@.!#$%&'*+/=?^`{|}~_]+")


def validate_email(address: object, *, what: str = "email address") -> str:
    """Return ``address`` unchanged if it is a syntactically valid address, else raise.

    The address is never altered (no case folding, no trimming): what the caller gave
    is what is sent.
    """
    if not isinstance(address, str):
        raise InvalidInputError(f"{what} must be a str, got {type(address).__name__}")
    if address != address.strip() or not address:
        raise InvalidInputError(f"{what} {address!r} is empty or has surrounding white space")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise InvalidInputError(f"{what} {address!r} is not of the form local-part@domain")
    if len(local) > 64 or len(address) > 254:
        raise InvalidInputError(f"{what} {address!r} is longer than an address may be")
    if not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidInputError(f"{what} {address!r} has an invalid local part")
    labels = domain.split(".")
    if not all(_LABEL.fullmatch(label) and not label.startswith("-") for label in labels):
        raise InvalidInputError(f"{what} {address!r} has an invalid domain")
    return address


def validate_recipients(
    to: Iterable[str] | str, cc: Iterable[str] | str, bcc: Iterable[str] | str
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Check the recipients of a new session: at least one, every address valid.

    A bare string is refused rather than iterated character by character.
    """
    groups: list[tuple[str, ...]] = []
    for name, group in (("to", to), ("cc", cc), ("bcc", bcc)):
        if isinstance(group, str):
            raise InvalidInputError(f"{name} must be a list of addresses, not a single str")
        groups.append(tuple(validate_email(a, what=f"{name} recipient") for a in group))
    if not any(groups):
        raise InvalidInputError("a transfer needs at least one recipient in to, cc or bcc")
    return groups[0], groups[1], groups[2]


def email_path_segment(address: str) -> str:
    """Percent-encode an address for use as one URL path segment.

    ``@`` stays literal (it is allowed in a path segment); ``+`` becomes ``%2B`` because
    some servers decode a literal ``+`` as a space; case is preserved; non-ASCII
    characters are UTF-8 percent-encoded.
    """
    if isinstance(address, str):
        return _quoted_address(address)
    return quote(validate_email(address), safe="@")


@functools.lru_cache(maxsize=256)
def _quoted_address(address: str) -> str:
    # Every request path holds the sender's address: check and quote it once.
    return quote(validate_email(address), safe="@")


def path_segment(value: str, *, what: str) -> str:
    """Percent-encode an id (tracking id, file id...) for a path, refusing empty ones."""
    if not isinstance(value, str) or not value or value in {".", ".."}:
        raise InvalidInputError(f"{what} must be a non-empty str, got {value!r}")
    return quote(value, safe="")


#: Ids the server hands out (tracking ids, file ids): RFC 3986 unreserved characters.
SERVER_ID_MAX_LENGTH = 200
_SERVER_ID = re.compile(r"[A-Za-z0-9._~-]+")


def server_id(value: object) -> str | None:
    """``value`` if it is usable as an id the server made, else ``None``.

    Usable: a str of 1 to 200 RFC 3986 unreserved characters (letters, digits,
    ``-._~``) that is not ``.`` or ``..``, so it is one path segment as it stands.

    Example::

        >>> server_id("20240522-065711-H8UoUSI6")
        '20240522-065711-H8UoUSI6'
        >>> server_id("..") is None
        True
    """
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= SERVER_ID_MAX_LENGTH
        or value in {".", ".."}
        or not _SERVER_ID.fullmatch(value)
    ):
        return None
    return value


def validate_header_value(value: str, *, what: str, secret: bool = False) -> str:
    """Refuse a header value with CR, LF or NUL (header injection) or non-Latin-1 text."""
    if any(c in value for c in "\r\n\x00"):
        shown = "" if secret else f" {value!r}"
        raise InvalidInputError(
            f"{what}{shown} contains a line break or NUL, which a header cannot"
        )
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        shown = "" if secret else f" {value!r}"
        raise InvalidInputError(
            f"{what}{shown} has characters a header cannot carry (only Latin-1)"
        ) from None
    return value


def validate_client_id(client_id: object) -> str:
    """Return ``client_id`` if it is 50 to 4000 characters of ``[A-Za-z0-9]``.

    The message never repeats the id itself: it is a credential.
    """
    if not isinstance(client_id, str):
        raise ConfigurationError(f"client_id must be a str, got {type(client_id).__name__}")
    if not CLIENT_ID_MIN_LENGTH <= len(client_id) <= CLIENT_ID_MAX_LENGTH:
        raise ConfigurationError(
            f"client_id must be {CLIENT_ID_MIN_LENGTH} to {CLIENT_ID_MAX_LENGTH} characters long,"
            f" got {len(client_id)}; use generate_client_id()"
            " or CryptshareClient.request_client_id()"
        )
    if not _CLIENT_ID.fullmatch(client_id):
        raise ConfigurationError("client_id may only contain the characters A-Z, a-z and 0-9")
    return client_id


def generate_client_id(length: int = 64) -> str:
    """Make a new random client id locally (``length`` characters of ``[A-Za-z0-9]``).

    Example::

        client_id = generate_client_id()   # store it: tokens are bound to it
    """
    if not CLIENT_ID_MIN_LENGTH <= length <= CLIENT_ID_MAX_LENGTH:
        raise InvalidInputError(
            f"length must be from {CLIENT_ID_MIN_LENGTH} to {CLIENT_ID_MAX_LENGTH}, got {length}"
        )
    return "".join(secrets.choice(_CLIENT_ID_ALPHABET) for _ in range(length))


_public.claim(globals())
