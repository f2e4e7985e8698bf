"""Ctrl-C during ``send``: the uploaded file is removed, the session deleted, exit 130.

The command runs in a real process (``python -m cryptshare_async``) that gets a real
SIGINT while its upload waits for the (deliberately slow) server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import cryptshare_async
from cryptshare_async.testing import Emulator, FaultRule

from .conftest import BOB

_ROOT = Path(cryptshare_async.__file__).resolve().parents[1]

# A shell may start background jobs with SIGINT ignored; Python would keep ignoring it.
# Restore the default (KeyboardInterrupt) before running the module as ``-m`` would.
_RUN = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler);"
    " runpy.run_module('cryptshare_async', run_name='__main__', alter_sys=True)"
)


async def test_ctrl_c_during_upload_cleans_up_and_exits_130(
    cryptshare_emulator: Emulator, env: dict[str, str], tmp_path: Path
) -> None:
    emu = cryptshare_emulator
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(256 * 1024))
    # The emulator finishes a delayed handler before it closes: keep the delay short.
    emu.add_fault(FaultRule(method="PUT", path="*/content", delay=2.0, times=1))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _RUN,
        "send",
        str(big),
        "--to",
        BOB,
        "--name",
        "Alice",
        "--phone",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env, "PYTHONPATH": str(_ROOT)},
    )
    try:
        async with asyncio.timeout(30):
            while not emu.fired_faults:  # noqa: ASYNC110 - the emulator offers no event for this
                await asyncio.sleep(0.01)
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = err.decode()
    assert process.returncode == 130, stderr
    assert out == b""
    assert "Traceback" not in stderr
    assert "interrupted: removing what was uploaded" in stderr
    assert "deleted transfer session" in stderr
    assert stderr.splitlines()[-1] == "error: interrupted"
    assert emu.store.sessions == {}
    assert emu.store.transfers == {}
    deletes = [r.path for r in emu.requests if r.method == "DELETE"]
    assert len(deletes) == 2
    assert "/files/" in deletes[0]
    assert deletes[1].rsplit("/", 2)[1] == "transfer-sessions"
