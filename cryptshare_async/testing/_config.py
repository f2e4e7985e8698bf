"""Configuration of the emulator: every knob has a default that mimics a stock server.

Example::

    >>> cfg = EmulatorConfig(processing_seconds=0.0, max_wrong_passwords=5)
    >>> cfg.host
    '127.0.0.1'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ._policy import TransferPolicy
from ._versions import check_api_version, default_api_version

__all__ = ["DEFAULT_PROCESSING_SECONDS", "EICAR_SIGNATURE", "EmulatorConfig"]

#: How long a finalized transfer stays PROCESSING, unless configured: the one default of
#: ``EmulatorConfig``, the ``cryptshare-emulator`` command and the pytest plugin.
DEFAULT_PROCESSING_SECONDS = 0.05

#: The EICAR anti-virus test string: content containing it is treated as infected.
EICAR_SIGNATURE = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@dataclass(frozen=True, slots=True, kw_only=True)
class EmulatorConfig:
    """How an :class:`~cryptshare_async.testing.Emulator` behaves.

    ``client_id`` fixes the demo client id (a random one is made when ``None``); it is always
    whitelisted, as is every id in ``whitelisted_client_ids``. ``seed`` drives fault injection
    (a random seed is drawn and exposed as ``Emulator.seed`` when ``None``). The emulator keeps
    content in a temporary directory it creates (inside ``storage_dir`` when set) and removes
    on close.
    ``failing_notification_addresses`` makes every notification mailed to those addresses fail
    (``notificationFailed`` and ``warnings`` become true). ``absolute_locations=False`` emits
    ``Location`` headers as paths (``/api/...``) instead of absolute URLs.
    ``policy`` is the transfer policy, enforced and reported (:class:`TransferPolicy`);
    ``max_total_size``, ``max_retention_days`` and ``blocked_recipient_domains`` are
    shortcuts for the settings it leaves unset.
    ``api_version`` is the server profile, ``(1, 8)`` to ``(1, 13)``: endpoints added after
    it do not exist (404/1006) and a higher ``X-CS-MinimumMinorApiVersion`` gets 404/2004.
    Its default is the newest, or ``CRYPTSHARE_EMULATOR_API_VERSION`` (``1.8``) when set.
    ``terms_of_use_active``, ``cors_origins`` (origins for which CORS is active),
    ``remote_logging`` and ``client_log_level`` are what the legal, CORS and logging
    endpoints report; ``POST /api/logs`` is refused (403/3004) unless ``remote_logging``.
    ``cleanup_interval_seconds`` runs the expiration cleanup task periodically (``None``:
    only through ``Emulator.run_cleanup()``).
    ``direct_receive_min_bytes``: file content of at least this many bytes (by
    ``Content-Length``) is moved from the socket to the file by a worker thread with
    ``splice(2)`` where available (Linux), never through Python objects, so that the emulator
    does not cap loopback uploads; the connection is then closed after the response
    (``Connection: close``). Smaller or chunked bodies, and every body when ``None``, are
    read through aiohttp (keep-alive).
    Put ``storage_dir`` on a RAM disk (``/dev/shm``) when disk writes would be the limit.
    ``recycle_content_bytes``: keep the files of content deleted before finalization (a
    deleted transfer session, a removed or replaced file), up to this many bytes in all,
    and write later uploads over them instead of into new files (0, the default: delete at
    once). Where fresh memory is costly, as on a VM's RAM disk, this makes the emulator's
    share of a loopback upload benchmark several times cheaper; the old bytes are
    overwritten and cut off, never served.
    """

    host: str = "127.0.0.1"
    port: int = 0
    client_id: str | None = None
    whitelisted_client_ids: frozenset[str] = frozenset()
    processing_seconds: float = DEFAULT_PROCESSING_SECONDS
    checksum_algorithm: str = "SHA-256"
    blocked_extensions: frozenset[str] = frozenset({".exe", ".bat", ".com", ".scr"})
    virus_signature: bytes = EICAR_SIGNATURE
    max_wrong_passwords: int = 3
    default_expiration_days: int = 14
    max_retention_days: int = 30
    max_total_size: int = 64 * 1024**3
    api_version: tuple[int, int] = field(default_factory=default_api_version)
    seed: int | None = None
    storage_dir: Path | None = None
    failing_notification_addresses: frozenset[str] = frozenset()
    absolute_locations: bool = True
    token_validity_seconds: float = 24 * 3600.0
    verification_code_limit: int = 5
    verification_code_window_seconds: float = 60.0
    cleanup_interval_seconds: float | None = None
    request_log_size: int = 10_000
    blocked_recipient_domains: frozenset[str] = field(default_factory=frozenset)
    policy: TransferPolicy = field(default_factory=TransferPolicy)
    terms_of_use_active: bool = False
    cors_origins: frozenset[str] = frozenset()
    remote_logging: bool = True
    client_log_level: str = "info"
    direct_receive_min_bytes: int | None = 1024 * 1024
    recycle_content_bytes: int = 0

    @property
    def max_minor_version(self) -> int:
        """The minor version of :attr:`api_version` (the newest a client may ask for)."""
        return self.api_version[1]

    def __post_init__(self) -> None:
        check_api_version(self.api_version)
        recycle = self.recycle_content_bytes
        if not isinstance(recycle, int) or isinstance(recycle, bool) or recycle < 0:
            raise ValueError(f"recycle_content_bytes must be an int >= 0, got {recycle!r}")
