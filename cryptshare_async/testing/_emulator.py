"""The emulator: an aiohttp server on loopback that behaves like a Cryptshare server.

Example::

    async with Emulator(EmulatorConfig(processing_seconds=0)) as emu:
        async with aiohttp.ClientSession() as http:
            async with http.get(emu.url + "/api/status") as response:
                assert response.status == 200
        print(emu.client_id, emu.outbox)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from ._config import EmulatorConfig
from ._faults import FaultInjector, FaultRule, FiredFault
from ._http import RecordedRequest, make_middlewares
from ._inflight import InFlight
from ._keys import FAULTS, PROCESSOR, REQUESTS, STORE
from ._lifecycle import TransferState
from ._outbox import Outbox
from ._processing import Processor
from ._routes_control import add_control_routes
from ._routes_product import add_product_routes
from ._routes_recipient import add_recipient_routes
from ._routes_sender import add_sender_routes
from ._routes_transfers import add_transfer_routes
from ._state import Transfer, new_id
from ._store import Store

__all__ = ["Emulator"]

#: Request bodies read whole (JSON) are capped; file content streams and is not limited.
_MAX_JSON_BODY = 16 * 1024 * 1024
_READ_BUFSIZE = 2 * 1024 * 1024
#: How long aiohttp's shutdown waits for a handler that the close did not cancel
#: (``InFlight`` cancels every tracked one first; this bounds anything else).
_SHUTDOWN_TIMEOUT = 1.0


class Emulator:
    """A running emulator. Use ``async with Emulator(config) as emu`` (or start/close).

    ``emu.url`` is the server root (the API is under ``emu.url + "/api"``), ``emu.client_id``
    a whitelisted demo client id, ``emu.outbox`` every mail sent, ``emu.requests`` the
    request log, ``emu.seed`` the fault-injection seed.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        cfg = self.config
        self.seed: int = cfg.seed if cfg.seed is not None else random.SystemRandom().getrandbits(32)
        self.client_id: str = cfg.client_id or new_id(64)
        self._faults = FaultInjector(seed=self.seed)
        self._requests: deque[RecordedRequest] = deque(maxlen=cfg.request_log_size)
        self._storage: Path | None = None
        self._store: Store | None = None
        self._processor: Processor | None = None
        self._runner: web.AppRunner | None = None
        self._cleanup_task: asyncio.Task[None] | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        return f"Emulator(url={self._url!r}, seed={self.seed})"

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> Emulator:
        """Bind and serve; idempotent."""
        if self._runner is not None:
            return self
        cfg = self.config
        if cfg.storage_dir is not None:
            cfg.storage_dir.mkdir(parents=True, exist_ok=True)
        self._storage = Path(tempfile.mkdtemp(prefix="cryptshare-emulator-", dir=cfg.storage_dir))
        store = Store(cfg, self._storage, {self.client_id, *cfg.whitelisted_client_ids})
        store.demo_client_id = self.client_id
        self._store, self._processor = store, Processor(store)
        inflight = InFlight()
        app = web.Application(
            client_max_size=_MAX_JSON_BODY,
            middlewares=[
                inflight.middleware,
                *make_middlewares(self._faults, self._requests, cfg.max_minor_version),
            ],
        )
        # Closing cancels the requests still being handled (a fault delay, a stalled body)
        # instead of waiting for them.
        app.on_shutdown.append(inflight.on_shutdown)
        app[STORE], app[PROCESSOR] = store, self._processor
        app[FAULTS], app[REQUESTS] = self._faults, self._requests
        add_sender_routes(app)
        add_transfer_routes(app)
        add_recipient_routes(app)
        add_product_routes(app)
        add_control_routes(app)
        # A larger read buffer keeps aiohttp from pausing and resuming the socket after
        # every 64 KiB (its default), which capped uploads far below loopback speed.
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            read_bufsize=_READ_BUFSIZE,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, cfg.host, cfg.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            shutil.rmtree(self._storage, ignore_errors=True)
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        self._url = f"http://{shown}:{port}"
        store.root_url = self._url
        if cfg.cleanup_interval_seconds is not None:
            self._cleanup_task = asyncio.get_running_loop().create_task(
                self._cleanup_loop(cfg.cleanup_interval_seconds)
            )
        return self

    async def close(self) -> None:
        """Stop serving, cancel processing and the requests still being handled, remove
        stored content; idempotent."""
        if self._cleanup_task is not None:
            self._cleanup_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._cleanup_task
            self._cleanup_task = None
        if self._processor is not None:
            await self._processor.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._storage is not None:
            shutil.rmtree(self._storage, ignore_errors=True)
            self._storage = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _cleanup_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.store.cleanup()

    # -- views ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the server root."""
        if self._url is None:
            raise RuntimeError("the emulator is not started")
        return self._url

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the emulator is not started")
        return self._store

    @property
    def storage_dir(self) -> Path:
        """The directory holding uploaded content (removed on close)."""
        if self._storage is None:
            raise RuntimeError("the emulator is not started")
        return self._storage

    @property
    def outbox(self) -> Outbox:
        return self.store.outbox

    @property
    def requests(self) -> list[RecordedRequest]:
        """API requests received so far, oldest first (bounded by ``request_log_size``)."""
        return list(self._requests)

    @property
    def client_logs(self) -> list[dict[str, Any]]:
        """Log entries clients sent with ``POST /api/logs``, oldest first."""
        return list(self.store.client_logs)

    @property
    def faults(self) -> list[FaultRule]:
        return self._faults.rules

    @property
    def fired_faults(self) -> list[FiredFault]:
        return list(self._faults.fired)

    # -- control --------------------------------------------------------------------------

    def verification_code(self, email: str) -> str:
        """The latest verification code mailed to ``email``; ``LookupError`` if none."""
        code = self.outbox.latest(kind="verification_code", to=email).code
        assert code is not None
        return code

    def add_fault(self, rule: FaultRule) -> None:
        self._faults.add(rule)

    def clear_faults(self) -> None:
        self._faults.clear()

    def fail_notifications(self, *addresses: str) -> None:
        """Make mails to these addresses fail from now on (replaces the previous set)."""
        self.store.failing_addresses = {a.casefold() for a in addresses}

    def transfer(self, tracking_id: str) -> Transfer:
        """The internal record of a finalized transfer (``KeyError`` if unknown)."""
        return self.store.transfers[tracking_id]

    def transfer_state(self, tracking_id: str) -> str:
        return self.transfer(tracking_id).state

    def transfer_password(self, tracking_id: str) -> str | None:
        """The recipients' password (generated, manual, or the internal one of mode NONE)."""
        return self.transfer(tracking_id).password

    def recipient_transfer_ids(self, tracking_id: str) -> dict[str, str]:
        """Recipient address → that recipient's transfer id."""
        return {e.mail: e.transfer_id for e in self.transfer(tracking_id).entries}

    def admin_delete(self, tracking_id: str) -> None:
        """Delete a transfer as an administrator would: DELETED_BY_ADMIN."""
        self.store.admin_delete(tracking_id)

    def lock(self, tracking_id: str, locked: bool = True) -> None:
        """Lock a transfer as an administrator would (recipients get 403/2005);
        ``locked=False`` unlocks it."""
        self.store.set_locked(tracking_id, locked)

    def view_file(self, tracking_id: str, recipient: str, file_id: str) -> None:
        """Record that ``recipient`` viewed a file in the Web App's content viewer: the
        transfer status lists a ``VIEWED`` retrieval (the emulator has no Web App)."""
        self.store.record_view(tracking_id, recipient, file_id)

    def expire(self, tracking_id: str) -> None:
        """Move the expiration date into the past (the state changes at the next cleanup)."""
        self.store.expire(tracking_id)

    def run_cleanup(self) -> list[str]:
        """Run the cleanup task now; the tracking ids it set to DELETED_BY_EXPIRATION."""
        return self.store.cleanup()

    async def wait_processed(self, tracking_id: str) -> str:
        """Wait until processing of a finalized transfer ended; its state.

        Bound it with ``asyncio.timeout()`` if the test needs a limit.
        """
        transfer = self.transfer(tracking_id)
        await transfer.processed.wait()
        return transfer.state

    def seed_transfers(
        self,
        sender: str,
        count: int,
        *,
        recipients: Iterable[str] = ("recipient@example.org",),
        state: str = "ACTIVE",
    ) -> list[str]:
        """Add ``count`` finished transfers (no files) from ``sender``, oldest first;
        ``state`` is a :class:`TransferState` name (``ValueError`` for another)."""
        return self.store.seed_transfers(
            sender, count, recipients=recipients, state=TransferState(state)
        )
