"""The package's import graph: resources never reach the client, and nothing is cyclic
at run time (each module imports alone, in a fresh interpreter)."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

import cryptshare_async

PACKAGE = Path(cryptshare_async.__file__).parent
RESOURCES = [
    "cryptshare_async._sender",
    "cryptshare_async._session",
    "cryptshare_async._transfer",
    "cryptshare_async._recipient",
    "cryptshare_async._paging",
    "cryptshare_async._waiting",
    "cryptshare_async._upload",
    "cryptshare_async._upload._upload",
    "cryptshare_async._upload._many",
]


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@functools.cache
def _imports(name: str, *, typing_too: bool) -> frozenset[str]:
    """Modules of the package that ``name`` imports (module level; optionally under
    ``if TYPE_CHECKING:`` too)."""
    path = MODULES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If):
                if typing_too or not _is_type_checking(node):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join([*base, *([node.module] if node.module else [])])
                subs = {f"{target}.{alias.name}" for alias in node.names}
                found.update(subs & MODULES.keys() or {target})

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return frozenset(module for module in found if module in MODULES and module != name)


def _reachable(start: str, *, typing_too: bool) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for module in _imports(todo.pop(), typing_too=typing_too):
            if module not in seen:
                seen.add(module)
                todo.append(module)
    return seen


@pytest.mark.parametrize("resource", RESOURCES)
def test_resources_never_reach_the_client(resource: str) -> None:
    reached = _reachable(resource, typing_too=True)
    assert "cryptshare_async._client" not in reached
    assert "cryptshare_async" not in reached  # not even through the package's __init__


def test_no_module_imports_itself_back_at_run_time() -> None:
    for module in MODULES:
        assert module not in _reachable(module, typing_too=False), f"{module} is in a cycle"


def test_the_graph_reader_sees_cycles() -> None:
    # The check above can fail: with TYPE_CHECKING imports, Sender and its session form one.
    assert "cryptshare_async._sender" in _reachable("cryptshare_async._sender", typing_too=True)
    # The package's __init__ imports the client for type checkers only (lazy at run time).
    assert "cryptshare_async._client" in _reachable("cryptshare_async", typing_too=True)
    assert "cryptshare_async._client" not in _reachable("cryptshare_async", typing_too=False)


def test_each_resource_imports_alone() -> None:
    # Each module imported first, with no other module of the package loaded: a run-time
    # cycle that depends on import order would fail here.
    script = f"""
import importlib, sys
for name in {RESOURCES!r}:
    for loaded in [m for m in sys.modules if m.split(".")[0] == "cryptshare_async"]:
        del sys.modules[loaded]
    importlib.import_module(name)
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60, cwd=PACKAGE.parent)
