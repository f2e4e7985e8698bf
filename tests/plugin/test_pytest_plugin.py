"""The pytest plugin as a user's project meets it: strict mode, docstrings, cost, seeds.

Each test runs pytest on a small project made by ``pytester`` with its own ini file, so
pytest-asyncio runs in its default (strict) mode unless a test says otherwise.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cryptshare_async_pytest
from cryptshare_async.testing import EmulatorConfig
from cryptshare_async.testing._config import DEFAULT_PROCESSING_SECONDS

_ROOT = Path(cryptshare_async_pytest.__file__).resolve().parents[1]
_FIXTURES = (
    "cryptshare_emulator_config",
    "cryptshare_emulator",
    "cryptshare_client",
    "cryptshare_sender_email",
    "cryptshare_sender",
)

#: pytest-asyncio's default (strict) mode, without its warning about an unset loop scope.
_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def readme_plugin_example() -> str:
    """The python block of README.md's "Testing your code against the emulator" section."""
    text = (_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Testing your code against the emulator", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return match.group(1)


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


@pytest.mark.parametrize(
    "ini",
    [
        "[pytest]\n",
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n",
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n",
    ],
    ids=["default", "strict", "auto"],
)
def test_the_readme_example_passes_verbatim(pytester: pytest.Pytester, ini: str) -> None:
    pytester.makeini(ini)
    pytester.makepyfile(test_readme=readme_plugin_example())
    # (pytest-asyncio warns about its unset loop scope in a fresh project: not ours.)
    _run(pytester, "-W", "ignore::pytest.PytestDeprecationWarning").assert_outcomes(passed=1)


def test_async_tests_using_the_fixtures_are_marked_in_strict_mode(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile(
        """
        import pytest
        import pytest_asyncio

        @pytest_asyncio.fixture
        async def through(cryptshare_client):
            return cryptshare_client

        async def test_emulator(cryptshare_emulator):
            assert cryptshare_emulator.url.startswith("http://127.0.0.1:")

        async def test_client(cryptshare_client):
            assert await cryptshare_client.password_requirements() is not None

        async def test_through_a_fixture_of_mine(through):
            assert through is not None

        @pytest.mark.asyncio
        async def test_marked_already(cryptshare_sender):
            assert cryptshare_sender.email == "sender@example.com"

        @pytest.mark.parametrize("n", [1, 2])
        async def test_parametrized(cryptshare_emulator, n):
            assert n in (1, 2)

        class TestInAClass:
            async def test_method(self, cryptshare_sender):
                assert cryptshare_sender is not None

        def test_sync_fixture(cryptshare_sender_email):
            assert cryptshare_sender_email == "sender@example.com"
        """
    )
    _run(pytester).assert_outcomes(passed=8)


def test_async_tests_not_using_the_fixtures_are_left_to_pytest_asyncio(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile(
        """
        def test_sync():
            pass

        async def test_unmarked():
            pass
        """
    )
    result = _run(pytester, "-rA")
    # pytest refuses (or skips) a bare coroutine in strict mode: the plugin did not mark it.
    output = result.stdout.str()
    assert re.search(r"^PASSED \S*::test_sync$", output, re.MULTILINE)
    assert re.search(r"^(FAILED|SKIPPED) \S*test_unmarked", output, re.MULTILINE)


def test_the_plugin_uses_the_emulators_default_processing_time(
    cryptshare_emulator_config: EmulatorConfig,
) -> None:
    assert cryptshare_emulator_config.processing_seconds == DEFAULT_PROCESSING_SECONDS
    assert cryptshare_emulator_config == EmulatorConfig(seed=cryptshare_emulator_config.seed)


def test_every_fixture_has_a_docstring(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INI)
    result = _run(pytester, "--fixtures")
    lines = result.stdout.lines
    for name in _FIXTURES:
        index = next(i for i, line in enumerate(lines) if line.startswith(name))
        assert "no docstring available" not in lines[index + 1], name
        assert lines[index + 1].strip(), name


def test_the_seed_section_is_added_only_to_tests_that_used_the_emulator(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile(
        """
        async def test_with_emulator(cryptshare_emulator):
            assert False, "with"

        def test_without():
            assert False, "without"

        async def test_passes(cryptshare_emulator):
            pass
        """
    )
    result = _run(pytester, "--cryptshare-seed=77")
    result.assert_outcomes(failed=2, passed=1)
    output = result.stdout.str()
    assert output.count("fault-injection seed: 77") == 1
    with_emulator = output.split("_ test_with_emulator _", 1)[1].split("_ test_without _", 1)[0]
    assert "cryptshare emulator" in with_emulator
    without = output.split("_ test_without _", 1)[1]
    assert "cryptshare emulator" not in without


def test_the_plugin_module_imports_neither_the_client_nor_aiohttp() -> None:
    code = (
        "import sys, cryptshare_async_pytest\n"
        "print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('aiohttp', 'cryptshare_async', 'yarl', 'multidict')))"
    )
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_run_that_does_not_use_the_plugin_never_imports_the_client(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(_INI)
    pytester.makepyfile(
        """
        import sys

        def test_nothing_loaded():
            loaded = [m for m in ("aiohttp", "cryptshare_async") if m in sys.modules]
            assert loaded == []
        """
    )
    # Only this plugin and pytest-asyncio, named explicitly: whatever the installed
    # metadata says, this is what the entry point loads.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTHONPATH", str(_ROOT))
    result = pytester.runpytest_subprocess(
        "-p", "cryptshare_async_pytest", "-p", "pytest_asyncio.plugin", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
