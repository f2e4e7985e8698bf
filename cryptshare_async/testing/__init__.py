"""A local Cryptshare server for tests: the emulator, fault injection, a pytest plugin,
and :class:`MockTransport` for unit tests without HTTP.

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
from ._mock import MockCall, MockTransport, json_response
from ._outbox import Outbox, OutboxMessage
from ._policy import PolicyRule, TransferPolicy

__all__ = [
    "EICAR_SIGNATURE",
    "Emulator",
    "EmulatorConfig",
    "FaultRule",
    "FiredFault",
    "MockCall",
    "MockTransport",
    "Outbox",
    "OutboxMessage",
    "PolicyRule",
    "RecordedRequest",
    "TransferPolicy",
    "json_response",
]
