"""The transfer policy: who may send to whom, and the settings a transfer must keep.

A :class:`TransferPolicy` holds the settings for everyone; its ``rules`` override them for
matching senders (first match wins). An address pattern is an address
(``alice@example.com``) or a domain (``example.com``, matching that domain and its
subdomains); case does not matter.

Where the policy is enforced (the schema's codes):

==============================  ===========================================================
sender not allowed              403/3010 on ``transfer-policy`` and session creation
recipient not allowed           403/3011 on session creation; ``allowed: false`` with
                                ``failedRecipients`` on ``transfer-policy``
``max_total_size``              409/2001 on file registration and finalization
``max_retention_days``          409/2001 on PATCH ``expirationDate``; caps the default
``allowed_password_modes``      409/2001 on PATCH ``securityMode`` and finalization; the
                                first mode is a new session's default
``*_changeable`` / ``editable`` 409/2001 on a PATCH changing that setting
``confidential_message_*``      409/2001 on PATCH (not allowed) and finalization (required)
==============================  ===========================================================

``transfer-policy`` reports exactly the effective settings (:meth:`EffectivePolicy.settings`).

Example::

    >>> policy = TransferPolicy(blocked_recipients=frozenset({"rival.example"}),
    ...     rules=(PolicyRule(senders=frozenset({"intern@corp.example"}), max_total_size=10),))
    >>> effective = policy.for_sender("intern@corp.example")
    >>> effective.max_total_size, effective.recipient_allowed("x@rival.example")
    (10, False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["PASSWORD_MODES", "EffectivePolicy", "PolicyRule", "TransferPolicy", "matches"]

PASSWORD_MODES: Final = ("GENERATED", "MANUAL", "NONE")


def matches(address: str, patterns: Iterable[str]) -> bool:
    """Whether ``address`` is one of ``patterns`` or in one of their domains."""
    address = address.casefold()
    domain = address.rpartition("@")[2]
    for pattern in patterns:
        pattern = pattern.casefold().lstrip("@")
        if "@" in pattern:
            if address == pattern:
                return True
        elif domain == pattern or domain.endswith("." + pattern):
            return True
    return False


@dataclass(frozen=True, slots=True, kw_only=True)
class _Settings:
    """The settings a policy fixes (``None`` in a rule: as the policy says)."""

    allowed_recipients: frozenset[str] | None = None
    blocked_recipients: frozenset[str] | None = None
    max_total_size: int | None = None
    max_retention_days: int | None = None
    allowed_password_modes: tuple[str, ...] | None = None
    confidential_message_allowed: bool | None = None
    confidential_message_required: bool | None = None
    recipient_notification_editable: bool | None = None
    send_download_notifications_changeable: bool | None = None
    send_download_notifications_default: bool | None = None
    show_file_names_changeable: bool | None = None
    show_file_names_default: bool | None = None
    show_zip_file_content_default: bool | None = None

    def _check(self) -> None:
        modes = self.allowed_password_modes
        if modes is not None and (not modes or set(modes) - set(PASSWORD_MODES)):
            raise ValueError(
                f"allowed_password_modes must be a non-empty subset of {PASSWORD_MODES}"
            )
        for name in ("max_total_size", "max_retention_days"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRule(_Settings):
    """Settings for the senders that match ``senders`` (addresses or domains)."""

    senders: frozenset[str]

    def __post_init__(self) -> None:
        self._check()


@dataclass(frozen=True, slots=True, kw_only=True)
class EffectivePolicy:
    """The policy as it applies to one sender."""

    sender_allowed: bool
    allowed_recipients: frozenset[str] | None
    blocked_recipients: frozenset[str]
    max_total_size: int
    max_retention_days: int
    allowed_password_modes: tuple[str, ...]
    confidential_message_allowed: bool
    confidential_message_required: bool
    recipient_notification_editable: bool
    send_download_notifications_changeable: bool
    send_download_notifications_default: bool
    show_file_names_changeable: bool
    show_file_names_default: bool
    show_zip_file_content_default: bool

    def recipient_allowed(self, address: str) -> bool:
        if matches(address, self.blocked_recipients):
            return False
        return self.allowed_recipients is None or matches(address, self.allowed_recipients)

    def settings(self) -> dict[str, Any]:
        """``TransferPolicySettings`` as ``transfer-policy`` reports it."""
        modes = list(self.allowed_password_modes)
        return {
            "confidentialMessageAllowed": self.confidential_message_allowed,
            "confidentialMessageRequired": self.confidential_message_required,
            "maxRetentionPeriod": self.max_retention_days,
            "maxTotalSize": self.max_total_size,
            "recipientNotificationEditable": self.recipient_notification_editable,
            "securityModes": [
                {"name": "ONE_TIME_PASSWORD", "config": {"allowedPasswordModes": modes}}
            ],
            "sendDownloadNotificationsChangeable": self.send_download_notifications_changeable,
            "sendDownloadNotificationsDefault": self.send_download_notifications_default,
            "showFileNamesChangeable": self.show_file_names_changeable,
            "showFileNamesDefault": self.show_file_names_default,
            "showZipFileContentDefault": self.show_zip_file_content_default,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferPolicy(_Settings):
    """The server's transfer policy (``EmulatorConfig.policy``).

    ``allowed_senders`` ``None`` lets everyone send; ``blocked_senders`` are refused
    whatever the allowed list says; likewise for recipients. Settings left ``None`` here
    take the emulator's defaults (``EmulatorConfig.max_total_size`` and
    ``max_retention_days``, every password mode, everything changeable).
    """

    allowed_senders: frozenset[str] | None = None
    blocked_senders: frozenset[str] = frozenset()
    rules: tuple[PolicyRule, ...] = ()

    def __post_init__(self) -> None:
        self._check()

    def for_sender(
        self, sender: str, *, max_total_size: int = 64 * 1024**3, max_retention_days: int = 30
    ) -> EffectivePolicy:
        """The settings for ``sender``: this policy, overridden by the first matching rule."""
        rule = next((r for r in self.rules if matches(sender, r.senders)), None)

        def pick(name: str, default: Any) -> Any:
            for source in (rule, self):
                value = getattr(source, name) if source is not None else None
                if value is not None:
                    return value
            return default

        allowed = self.allowed_senders is None or matches(sender, self.allowed_senders)
        return EffectivePolicy(
            sender_allowed=allowed and not matches(sender, self.blocked_senders),
            allowed_recipients=pick("allowed_recipients", None),
            blocked_recipients=pick("blocked_recipients", frozenset()),
            max_total_size=pick("max_total_size", max_total_size),
            max_retention_days=pick("max_retention_days", max_retention_days),
            allowed_password_modes=tuple(pick("allowed_password_modes", PASSWORD_MODES)),
            confidential_message_allowed=pick("confidential_message_allowed", True),
            confidential_message_required=pick("confidential_message_required", False),
            recipient_notification_editable=pick("recipient_notification_editable", True),
            send_download_notifications_changeable=pick(
                "send_download_notifications_changeable", True
            ),
            send_download_notifications_default=pick("send_download_notifications_default", False),
            show_file_names_changeable=pick("show_file_names_changeable", True),
            show_file_names_default=pick("show_file_names_default", True),
            show_zip_file_content_default=pick("show_zip_file_content_default", False),
        )

    def with_blocked_recipients(self, extra: Iterable[str]) -> TransferPolicy:
        """This policy with more blocked recipients (the config's shortcut)."""
        extra = frozenset(extra)
        if not extra:
            return self
        return dataclasses.replace(
            self, blocked_recipients=(self.blocked_recipients or frozenset()) | extra
        )
