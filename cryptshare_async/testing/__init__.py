"""A local Cryptshare server for tests: the emulator, fault injection, a pytest plugin.

Example::

    from cryptshare_async.testing import Emulator, EmulatorConfig, FaultRule

    async with Emulator(EmulatorConfig(processing_seconds=0.01)) as emu:
        emu.add_fault(FaultRule(method="PUT", path="*/content", status=503, nth=1))
        ...  # point a client at emu.url with client id emu.client_id
        code = emu.verification_code("alice@example.com")
"""

from ._config import EICAR_SIGNATURE, EmulatorConfig
from ._emulator import Emulator
from ._faults import FaultRule, FiredFault
from ._http import RecordedRequest
from ._outbox import Outbox, OutboxMessage

__all__ = [
    "EICAR_SIGNATURE",
    "Emulator",
    "EmulatorConfig",
    "FaultRule",
    "FiredFault",
    "Outbox",
    "OutboxMessage",
    "RecordedRequest",
]
