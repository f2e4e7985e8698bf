"""The processing phase after finalization, run as background tasks of the emulator.

Each transfer waits ``processing_seconds`` (it is PROCESSING meanwhile), then its files are
scanned in a worker thread (size, checksum with the session's algorithm, virus signature;
streamed from disk) and the store applies the results.

Example::

    processor = Processor(store)
    processor.schedule(transfer)      # after Store.finalize
    await processor.close()           # cancels what is still running
"""

from __future__ import annotations

import asyncio
import logging

from ._checks import ScanResult, scan_file
from ._lifecycle import TransferState, set_state
from ._state import Transfer
from ._store import Store

__all__ = ["Processor"]

log = logging.getLogger("cryptshare_async.testing")


class Processor:
    """Runs and tracks processing tasks so that closing the emulator leaves none behind."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, transfer: Transfer) -> None:
        task = asyncio.get_running_loop().create_task(
            self._process(transfer), name=f"cryptshare-emulator-processing-{transfer.tracking_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, transfer: Transfer) -> None:
        config = self._store.config
        try:
            await asyncio.sleep(config.processing_seconds)
            algorithm = transfer.settings["fileChecksumAlgorithm"]
            jobs = self._store.scan_jobs(transfer)
            results: dict[str, ScanResult] = {}
            for stored, path in jobs:
                try:
                    results[stored.id] = await asyncio.to_thread(
                        scan_file, path, algorithm, config.virus_signature
                    )
                except FileNotFoundError:
                    continue  # deleted meanwhile (admin deletion): no result, file removed
            self._store.complete_processing(transfer, results)
        except asyncio.CancelledError:
            transfer.processed.set()
            raise
        except Exception:
            log.exception("emulator: processing of a transfer failed")
            if transfer.state == TransferState.PROCESSING:
                set_state(transfer, TransferState.FAILED)
            transfer.processed.set()

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
