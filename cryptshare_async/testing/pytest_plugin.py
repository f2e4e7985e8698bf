"""The pytest plugin, under its former name: everything here comes from
:mod:`cryptshare_async_pytest`, the module pytest loads (entry point ``cryptshare_async``).

The plugin itself lives outside this package so that loading it costs nothing in test runs
that do not use it (importing ``cryptshare_async`` imports aiohttp). Do not name both
modules as plugins in one run: pytest would register the command-line option twice.

Example::

    from cryptshare_async.testing.pytest_plugin import cryptshare_emulator  # the fixture
"""

from __future__ import annotations

from cryptshare_async_pytest import (
    cryptshare_client,
    cryptshare_emulator,
    cryptshare_emulator_config,
    cryptshare_sender,
    cryptshare_sender_email,
    pytest_addoption,
    pytest_pycollect_makeitem,
    pytest_runtest_makereport,
)

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
