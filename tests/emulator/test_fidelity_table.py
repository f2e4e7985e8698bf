"""Every test that ``FIDELITY.md`` names exists (so that its rows are proved by tests
that run, and a renamed test cannot leave a row unproved)."""

from __future__ import annotations

import re
from pathlib import Path

import cryptshare_async.testing as testing

HERE = Path(__file__).parent
TABLE = Path(testing.__file__).with_name("FIDELITY.md")


def _named_tests() -> list[tuple[str, str]]:
    text = TABLE.read_text()
    found = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        current = None
        for module, name in re.findall(r"`(?:(F|test_\w+\.py))?::(test_\w+)`", line):
            current = "test_fidelity.py" if module == "F" else (module or current)
            assert current is not None, line
            found.append((current, name))
    return found


def test_every_named_test_exists() -> None:
    named = _named_tests()
    assert len(named) > 40
    missing = [
        f"{module}::{name}"
        for module, name in named
        if not re.search(rf"^(?:async )?def {name}\(", (HERE / module).read_text(), re.M)
    ]
    assert missing == []


def test_every_named_module_exists() -> None:
    modules = set(re.findall(r"`(test_\w+\.py)", TABLE.read_text()))
    assert modules and all((HERE / m).exists() for m in modules)
