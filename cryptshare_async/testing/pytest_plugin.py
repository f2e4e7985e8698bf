"""pytest plugin (entry point ``cryptshare_async``): a running emulator per test.

Fixtures:

- ``cryptshare_emulator_config``: the :class:`EmulatorConfig` used; override it in a
  conftest to change the emulator's behaviour.
- ``cryptshare_emulator``: a started :class:`Emulator` (function scope), closed afterwards.
- ``cryptshare_client``: a ``CryptshareClient`` bound to that emulator with its demo client id.
- ``cryptshare_sender_email``: the sender address (``sender@example.com``; override it).
- ``cryptshare_sender``: ``cryptshare_client.sender(email)``, verified by client id.

When a test that used the emulator fails, its fault-injection seed is added to the report
(section "cryptshare emulator"); rerun with ``--cryptshare-seed=<seed>`` to replay it.

Example::

    async def test_upload(cryptshare_emulator):
        url, client_id = cryptshare_emulator.url, cryptshare_emulator.client_id
        ...
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Generator
from typing import TYPE_CHECKING, Any

import pytest

from ._config import EmulatorConfig
from ._emulator import Emulator

if TYPE_CHECKING:
    from cryptshare_async import CryptshareClient
    from cryptshare_async._sender import Sender

__all__ = [
    "cryptshare_client",
    "cryptshare_emulator",
    "cryptshare_emulator_config",
    "cryptshare_sender",
    "cryptshare_sender_email",
]

_SEED = pytest.StashKey[int]()

try:
    import pytest_asyncio

    _async_fixture: Any = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - the plugin must import cleanly without it
    _async_fixture = None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cryptshare", "Cryptshare emulator")
    group.addoption(
        "--cryptshare-seed",
        type=int,
        default=None,
        help="fault-injection seed for every Cryptshare emulator (replays a failed run)",
    )


@pytest.fixture
def cryptshare_emulator_config(pytestconfig: pytest.Config) -> EmulatorConfig:
    """The emulator's configuration (fast processing; the seed from --cryptshare-seed)."""
    return EmulatorConfig(
        processing_seconds=0.01, seed=pytestconfig.getoption("cryptshare_seed", None)
    )


async def _emulator(
    request: pytest.FixtureRequest, cryptshare_emulator_config: EmulatorConfig
) -> AsyncIterator[Emulator]:
    config = cryptshare_emulator_config
    forced = request.config.getoption("cryptshare_seed", None)
    if forced is not None and config.seed != forced:
        config = dataclasses.replace(config, seed=forced)
    async with Emulator(config) as emulator:
        request.node.stash[_SEED] = emulator.seed
        yield emulator


if _async_fixture is not None:
    cryptshare_emulator = _async_fixture(_emulator, name="cryptshare_emulator")
else:  # pragma: no cover

    @pytest.fixture(name="cryptshare_emulator")
    def _missing_asyncio() -> Emulator:
        raise pytest.UsageError("the cryptshare_emulator fixture needs pytest-asyncio installed")

    cryptshare_emulator = _missing_asyncio


async def _client(cryptshare_emulator: Emulator) -> AsyncIterator[CryptshareClient]:
    from cryptshare_async import CryptshareClient

    async with CryptshareClient(
        cryptshare_emulator.url, client_id=cryptshare_emulator.client_id, allow_insecure_http=True
    ) as client:
        yield client


@pytest.fixture
def cryptshare_sender_email() -> str:
    """The address ``cryptshare_sender`` sends as."""
    return "sender@example.com"


async def _sender(cryptshare_client: CryptshareClient, cryptshare_sender_email: str) -> Sender:
    sender = cryptshare_client.sender(cryptshare_sender_email)
    await sender.verify_with_client_id()
    return sender


if _async_fixture is not None:
    cryptshare_client = _async_fixture(_client, name="cryptshare_client")
    cryptshare_sender = _async_fixture(_sender, name="cryptshare_sender")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    seed = item.stash.get(_SEED, None)
    if seed is not None and report.failed:
        report.sections.append(
            (
                "cryptshare emulator",
                f"fault-injection seed: {seed} (replay: --cryptshare-seed={seed})",
            )
        )
    return report
