"""The emulator's checksum-algorithm table agrees with the client's (the emulator imports
nothing from the client, so the two are kept apart and compared here)."""

from __future__ import annotations

import hashlib

import pytest

from cryptshare_async._upload._hashing import _KNOWN, resolve_algorithm
from cryptshare_async.testing._checks import ALGORITHMS, display_name, hash_name


def test_same_algorithms_same_names() -> None:
    client = {key: (a.name, a.hashlib_name) for key, a in _KNOWN.items()}
    assert client == ALGORITHMS


@pytest.mark.parametrize(
    "spelling", ["SHA-256", "sha256", "sha_256", "SHA 256", "md5", "SHA3-512", "sha-1"]
)
def test_every_spelling_resolves_alike(spelling: str) -> None:
    algorithm = resolve_algorithm(spelling)
    assert hash_name(spelling) == algorithm.hashlib_name
    assert display_name(spelling) == algorithm.name
    assert hashlib.new(algorithm.hashlib_name).digest_size == algorithm.digest_size


def test_the_emulator_imports_nothing_from_the_client() -> None:
    """Only MockTransport (a client-side test double), the pytest plugin and the console
    command may reach into the client; the emulator itself must not."""
    import ast
    from pathlib import Path

    import cryptshare_async.testing as testing

    allowed = {"_mock.py", "pytest_plugin.py", "__main__.py", "__init__.py"}
    offenders = []
    for path in Path(testing.__file__).parent.glob("*.py"):
        if path.name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                absolute = (node.module or "").startswith("cryptshare_async")
                outside = node.level >= 2 or (
                    absolute and not (node.module or "").startswith("cryptshare_async.testing")
                )
                if outside:
                    offenders.append(f"{path.name}: {node.module}")
            elif isinstance(node, ast.Import):
                offenders += [
                    f"{path.name}: {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("cryptshare_async")
                    and not alias.name.startswith("cryptshare_async.testing")
                ]
    assert offenders == []
