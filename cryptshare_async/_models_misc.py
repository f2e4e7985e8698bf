"""Verification, transfer policy, passwords, the recipient side and the server status.

Example::

    >>> ServerStatus(api_versions=(ApiVersion(1, 12), ApiVersion(1, 13))).max_version
    ApiVersion(major=1, minor=13)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import define, field

from . import _public
from ._enums import FailureReason, PasswordMode, SecurityModeName, VerificationMethod
from ._models_base import EMPTY_RAW, NEST, WIRE, aware_datetime, mask_secret, str_tuple

__all__ = [
    "ApiVersion",
    "ClientIdResponse",
    "FailedRecipient",
    "GeneratedPassword",
    "PasswordBody",
    "PasswordRule",
    "PasswordValidation",
    "PolicySecurityMode",
    "PolicySecurityModeConfig",
    "PolicySettings",
    "ServerStatus",
    "TransferFile",
    "TransferInfo",
    "TransferPolicy",
    "TransferPolicyRequest",
    "VerificationCodeRequest",
    "VerificationStatus",
    "VerificationToken",
]


@define(frozen=True, slots=True)
class ClientIdResponse:
    """Answer of ``GET /api/clients``; the client id is confidential and hidden in ``repr``."""

    client_id: str = field(repr=mask_secret)
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class VerificationStatus:
    """Whether a sender address is verified for this client, and how it can be."""

    verified: bool | None = None
    verification_methods: tuple[VerificationMethod, ...] | None = None
    valid_until: datetime | None = field(default=None, validator=aware_datetime)
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class VerificationToken:
    """A verification token (hidden in ``repr``) and when it stops being valid."""

    token: str = field(repr=mask_secret)
    valid_until: datetime | None = field(default=None, validator=aware_datetime)
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class VerificationCodeRequest:
    """Body of ``POST .../verification/token``; ``None`` (client-id mode) sends ``{}``.

    Example::

        >>> VerificationCodeRequest("123456")
        VerificationCodeRequest(verification_code='***')
    """

    verification_code: str | None = field(default=None, repr=mask_secret)


@define(frozen=True, slots=True)
class TransferPolicyRequest:
    """Body of ``POST /users/{email}/transfer-policy``."""

    recipients: tuple[str, ...] = field(converter=str_tuple)


@define(frozen=True, slots=True)
class FailedRecipient:
    """A recipient the policy rejects, and why (``POLICY_MISMATCH``; ``UNKNOWN`` for a
    reason newer than this library, whose text stays in ``raw``)."""

    email_address: str | None = None
    reason: FailureReason | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class PolicySecurityModeConfig:
    """What a security mode the policy allows may be used with.

    ``allowed_password_modes``: the one-time password modes allowed (one-time password
    and, for the first transfer, QUICK). ``default_if_established`` (QUICK): preset QUICK
    when the sender already has a QUICK connection with every recipient. An eID mode
    has no settings (both ``None``); keys this library does not model stay in ``raw``.
    """

    allowed_password_modes: tuple[PasswordMode, ...] | None = None
    default_if_established: bool | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class PolicySecurityMode:
    """A security mode the policy allows, with its configuration."""

    name: SecurityModeName | None = None
    config: PolicySecurityModeConfig | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class PolicySettings:
    """The evaluated policy for a sender/recipient combination.

    ``max_retention_period`` is in days, ``max_total_size`` in bytes.
    """

    confidential_message_allowed: bool | None = None
    confidential_message_required: bool | None = None
    max_retention_period: int | None = None
    max_total_size: int | None = None
    recipient_notification_editable: bool | None = None
    security_modes: tuple[PolicySecurityMode, ...] | None = None
    send_download_notifications_changeable: bool | None = None
    send_download_notifications_default: bool | None = None
    show_file_names_changeable: bool | None = None
    show_file_names_default: bool | None = None
    show_zip_file_content_default: bool | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class TransferPolicy:
    """Answer of the transfer-policy check."""

    allowed: bool | None = None
    failed_recipients: tuple[FailedRecipient, ...] | None = None
    settings: PolicySettings | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class PasswordBody:
    """Body of ``POST /api/password`` (password hidden in ``repr``)."""

    password: str = field(repr=mask_secret)


@define(frozen=True, slots=True)
class PasswordRule:
    """A password rule that is not fulfilled, with the server's free-form details."""

    name: str | None = None
    details: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class PasswordValidation:
    """Answer of ``POST /api/password``."""

    valid: bool | None = None
    rules_not_fulfilled: tuple[PasswordRule, ...] | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class GeneratedPassword:
    """Answer of ``GET /api/password`` (password hidden in ``repr``)."""

    password: str = field(repr=mask_secret)
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class TransferInfo:
    """Recipient side: a transfer's checksum algorithm and total size in bytes."""

    checksum_algorithm: str | None = None
    total_size: int | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, kw_only=True)
class TransferFile:
    """Recipient side: one file of a transfer."""

    id: str | None = None
    file_name: str | None = None
    size: int | None = None
    checksum: str | None = None
    href: str | None = None
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True, order=True)
class ApiVersion:
    """A REST API version; versions compare by ``(major, minor)``."""

    major: int
    minor: int
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)


@define(frozen=True, slots=True)
class ServerStatus:
    """Answer of ``GET /api/status`` (API 1.13+).

    Wire: ``{"apiVersions": {"uiApiVersions": [{"major": 1, "minor": 13}]}}``.
    """

    api_versions: tuple[ApiVersion, ...] | None = field(
        default=None, metadata={WIRE: "apiVersions", NEST: "uiApiVersions"}
    )
    raw: Mapping[str, Any] = field(default=EMPTY_RAW, init=False, repr=False, eq=False)

    @property
    def max_version(self) -> ApiVersion | None:
        """The highest version the server offers, or ``None`` if it lists none."""
        return max(self.api_versions) if self.api_versions else None

    def supports(self, major: int, minor: int) -> bool:
        """True if the server offers ``major`` at ``minor`` or later."""
        return any(v.major == major and v.minor >= minor for v in self.api_versions or ())


_public.claim(globals())
