"""A local Cryptshare server for tests: the emulator, fault injection, a pytest plugin,
and :class:`MockTransport` for unit tests without HTTP.

Example::

    from cryptshare_async.testing import Emulator, EmulatorConfig, FaultRule

    async with Emulator(EmulatorConfig(processing_seconds=0.01)) as emu:
        emu.add_fault(FaultRule(method="PUT", path="*/content", status=503, nth=1))
        ...  # point a client at emu.url with client id emu.client_id
        code = emu.verification_code("alice@example.com")
"""

import typing as _typing

from .. import _public

if _typing.TYPE_CHECKING:
    from ._config import (
        EICAR_SIGNATURE,
        EmulatorConfig,
    )
    from ._emulator import Emulator
    from ._faults import (
        FaultRule,
        FiredFault,
    )
    from ._http import RecordedRequest
    from ._mock import (
        MockCall,
        MockTransport,
        json_response,
    )
    from ._outbox import (
        Outbox,
        OutboxMessage,
    )
    from ._policy import (
        PolicyRule,
        TransferPolicy,
    )


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

# Where each public name lives: imported on first access (PEP 562), so that
# ``import cryptshare_async.testing`` costs nothing until a name is used.
_EXPORTS: dict[str, str] = {
    "EICAR_SIGNATURE": "._config",
    "EmulatorConfig": "._config",
    "Emulator": "._emulator",
    "FaultRule": "._faults",
    "FiredFault": "._faults",
    "RecordedRequest": "._http",
    "MockCall": "._mock",
    "MockTransport": "._mock",
    "json_response": "._mock",
    "Outbox": "._outbox",
    "OutboxMessage": "._outbox",
    "PolicyRule": "._policy",
    "TransferPolicy": "._policy",
}

if not _typing.TYPE_CHECKING:  # mypy and IDEs see the imports above, not a catch-all
    __getattr__, __dir__ = _public.lazy_module(__name__, _EXPORTS, __all__)
