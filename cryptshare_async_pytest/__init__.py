"""The pytest plugin of ``cryptshare-async`` (entry point ``cryptshare_async``): a running
Cryptshare emulator, a client bound to it and a verified sender, per test.

Install it with ``pip install cryptshare-async[pytest]`` (pytest and pytest-asyncio); pytest
loads it by itself. Fixtures (``pytest --fixtures`` shows each one's docstring):

- ``cryptshare_emulator_config``: the :class:`~cryptshare_async.testing.EmulatorConfig`
  used; override it in a conftest to change the emulator's behaviour.
- ``cryptshare_emulator``: a started :class:`~cryptshare_async.testing.Emulator`, closed
  after the test.
- ``cryptshare_client``: a ``CryptshareClient`` bound to that emulator.
- ``cryptshare_sender_email``: the sender address (``sender@example.com``; override it).
- ``cryptshare_sender``: ``cryptshare_client.sender(email)``, verified by client id.

The async fixtures are pytest-asyncio fixtures, and an ``async def`` test that uses one
of them is marked ``asyncio`` by the plugin, so such tests run under pytest-asyncio's
default strict mode as written, without ``@pytest.mark.asyncio`` or ``asyncio_mode``.

The plugin costs nothing in test runs that do not use it: this module is not inside the
``cryptshare_async`` package, and imports the client and the emulator (aiohttp) only when
a test asks for one of its fixtures. When a test that used the emulator fails, its
fault-injection seed is added to the report (section "cryptshare emulator"); rerun with
``--cryptshare-seed=<seed>`` to replay it.

Example::

    async def test_send(cryptshare_sender):
        session = await cryptshare_sender.create_session(to=["b@example.org"], name="A", phone="1")
        await session.upload(b"hello", file_name="hello.txt")
        status = await (await session.finalize()).wait_until_active(timeout=10)
        assert status.state.value == "ACTIVE"
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Generator, Sequence
from typing import TYPE_CHECKING, Any, Final

import pytest

if TYPE_CHECKING:
    from cryptshare_async import CryptshareClient, Sender
    from cryptshare_async.testing import Emulator, EmulatorConfig

__all__ = [
    "cryptshare_client",
    "cryptshare_emulator",
    "cryptshare_emulator_config",
    "cryptshare_sender",
    "cryptshare_sender_email",
    "pytest_addoption",
    "pytest_pycollect_makeitem",
    "pytest_runtest_makereport",
]

_SEED = pytest.StashKey[int]()

#: The fixtures that need an event loop: an ``async def`` test using any of them (directly
#: or through another fixture) is marked ``asyncio``.
ASYNC_FIXTURES: Final = frozenset({"cryptshare_emulator", "cryptshare_client", "cryptshare_sender"})

try:
    # Already imported whenever pytest-asyncio is installed (it is a plugin itself).
    import pytest_asyncio

    _async_fixture: Any = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - the plugin must load cleanly without it
    _async_fixture = None

_NEEDS_ASYNCIO = (
    "the Cryptshare fixtures need pytest-asyncio: pip install 'cryptshare-async[pytest]'"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cryptshare", "Cryptshare emulator")
    group.addoption(
        "--cryptshare-seed",
        type=int,
        default=None,
        help="fault-injection seed for every Cryptshare emulator (replays a failed run)",
    )


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> Generator[None, object, object]:
    # Runs inside pytest-asyncio's own wrapper (trylast: innermost), so the marker added
    # here is seen when it decides which tests to run on an event loop.
    result = yield
    if _async_fixture is None:
        return result
    items: Sequence[object] = result if isinstance(result, list | tuple) else (result,)
    for item in items:
        if (
            isinstance(item, pytest.Function)
            and inspect.iscoroutinefunction(item.obj)
            and item.get_closest_marker("asyncio") is None
            and ASYNC_FIXTURES.intersection(item.fixturenames)
        ):
            item.add_marker(pytest.mark.asyncio)
    return result


@pytest.fixture
def cryptshare_emulator_config(pytestconfig: pytest.Config) -> EmulatorConfig:
    """The emulator's configuration: the defaults (fast processing), and the seed from
    ``--cryptshare-seed``. Override this fixture to change the emulator's behaviour."""
    from cryptshare_async.testing import EmulatorConfig

    return EmulatorConfig(seed=pytestconfig.getoption("cryptshare_seed", None))


async def _emulator(
    request: pytest.FixtureRequest, cryptshare_emulator_config: EmulatorConfig
) -> AsyncIterator[Emulator]:
    """A started Cryptshare emulator on 127.0.0.1 (a free port), closed after the test:
    ``.url``, ``.client_id`` (whitelisted), ``.outbox``, ``.verification_code(email)``,
    ``.add_fault(...)``. A failing test reports its fault-injection seed."""
    import dataclasses

    from cryptshare_async.testing import Emulator

    config = cryptshare_emulator_config
    forced = request.config.getoption("cryptshare_seed", None)
    if forced is not None and config.seed != forced:
        config = dataclasses.replace(config, seed=forced)
    async with Emulator(config) as emulator:
        request.node.stash[_SEED] = emulator.seed
        yield emulator


async def _client(cryptshare_emulator: Emulator) -> AsyncIterator[CryptshareClient]:
    """A ``CryptshareClient`` bound to ``cryptshare_emulator`` with its client id (plain
    http to 127.0.0.1), closed after the test."""
    from cryptshare_async import CryptshareClient

    async with CryptshareClient(
        cryptshare_emulator.url, client_id=cryptshare_emulator.client_id, allow_insecure_http=True
    ) as client:
        yield client


async def _sender(cryptshare_client: CryptshareClient, cryptshare_sender_email: str) -> Sender:
    """``cryptshare_client.sender(cryptshare_sender_email)``, already verified by client
    id: ready to ``create_session(...)``."""
    sender = cryptshare_client.sender(cryptshare_sender_email)
    await sender.verify_with_client_id()
    return sender


@pytest.fixture
def cryptshare_sender_email() -> str:
    """The address ``cryptshare_sender`` sends as (``sender@example.com``); override it."""
    return "sender@example.com"


if _async_fixture is not None:
    cryptshare_emulator = _async_fixture(_emulator, name="cryptshare_emulator")
    cryptshare_client = _async_fixture(_client, name="cryptshare_client")
    cryptshare_sender = _async_fixture(_sender, name="cryptshare_sender")
else:  # pragma: no cover - exercised only where pytest-asyncio is missing

    def _missing(name: str) -> Any:
        def fixture() -> None:
            raise pytest.UsageError(_NEEDS_ASYNCIO)

        fixture.__doc__ = f"Unavailable: {_NEEDS_ASYNCIO}."
        return pytest.fixture(fixture, name=name)

    cryptshare_emulator = _missing("cryptshare_emulator")
    cryptshare_client = _missing("cryptshare_client")
    cryptshare_sender = _missing("cryptshare_sender")


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
