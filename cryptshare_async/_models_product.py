"""Product-wide answers: legal texts, language packs, CORS, logging; recipient checksums.

Example::

    >>> LegalText(content="<p>Imprint</p>", type="html").is_link
    False
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import define, field

from . import _public
from ._enums import LogLevel
from ._models_base import EMPTY_RAW, aware_datetime

__all__ = [
    "ChecksumRow",
    "CorsStatus",
    "Imprint",
    "LanguagePack",
    "LegalText",
    "LogEntry",
    "LoggingSettings",
    "TermsOfUse",
]


@define(frozen=True, slots=True, kw_only=True)
class LegalText:
    """A legal text in one language: ``content`` is HTML (``type`` ``html``) or a URL
    (``type`` ``link``). ``locale`` and ``title`` are set for the terms of use."""

    content: str | None = None
    type: str | None = None
    locale: str | None = None
    title: str | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)

    @property
    def is_link(self) -> bool:
        """True when ``content`` is a URL to the text rather than the text itself."""
        return (self.type or "").lower() == "link"


Imprint = LegalText
"""The imprint (``GET .../legal/imprint``): one :class:`LegalText`."""


@define(frozen=True, slots=True, kw_only=True)
class TermsOfUse:
    """The terms of use: whether users must accept them, and the text per language."""

    active: bool | None = None
    last_change_timestamp: datetime | None = field(default=None, validator=aware_datetime)
    terms: tuple[LegalText, ...] | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)

    def for_locale(self, locale: str) -> LegalText | None:
        """The text for ``locale`` (``de`` matches ``de-DE``), or ``None``."""
        wanted = locale.lower()
        for text in self.terms or ():
            have = (text.locale or "").lower()
            if have == wanted or have.split("-", 1)[0] == wanted:
                return text
        return None


@define(frozen=True, slots=True, kw_only=True)
class LanguagePack:
    """An installed language pack; ``id`` (e.g. ``en-US_2``) names it in further calls."""

    id: str | None = None
    display_name: str | None = None
    locale: str | None = None
    version: str | None = None
    last_change_timestamp: datetime | None = field(default=None, validator=aware_datetime)
    href: str | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class CorsStatus:
    """Whether CORS is active for the origin asked about."""

    active: bool | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class LoggingSettings:
    """How a client should log, and whether it should send its log to the server."""

    level: LogLevel | None = None
    remote_logging_enabled: bool | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class LogEntry:
    """One entry of a client's log, sent with :meth:`CryptshareClient.send_log`.

    Example::

        >>> LogEntry(LogLevel.INFO, "upload started").level
        <LogLevel.INFO: 'info'>
    """

    level: LogLevel
    message: str
    timestamp: datetime | None = field(default=None, validator=aware_datetime)


@define(frozen=True, slots=True, kw_only=True)
class ChecksumRow:
    """One row of a transfer's checksum list (``RecipientTransfer.checksums()``).

    ``size`` and ``algorithm`` are ``None`` when the server's CSV does not give them.
    """

    file_name: str
    checksum: str
    size: int | None = None
    algorithm: str | None = None


_public.claim(globals())
