"""The packages load lazily, and their public names live (as far as Python can tell) in
the package: ``cryptshare_async.ApiError`` in tracebacks, pickles and doctests."""

from __future__ import annotations

import ast
import doctest
import inspect
import pickle
import pickletools
import subprocess
import sys
import tomllib
import typing
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import cryptshare_async
import cryptshare_async.testing
from cryptshare_async import (
    ApiError,
    ChecksumMismatchError,
    FileState,
    Recipient,
    StatusDetails,
    TransferFailedError,
    TransferState,
    TransferStatus,
    UploadedFile,
    WaitTimeoutError,
    _models_session,
)
from cryptshare_async._converter import structure
from cryptshare_async.testing import EmulatorConfig, FaultRule

ROOT = Path(cryptshare_async.__file__).resolve().parents[1]
#: The package's own source (not a virtual environment that may live inside the clone).
PACKAGE_DIR = str(Path(cryptshare_async.__file__).resolve().parent)
PACKAGES = [cryptshare_async, cryptshare_async.testing]


def _python(code: str, stdin: bytes = b"") -> bytes:
    done = subprocess.run(
        [sys.executable, "-c", code], input=stdin, capture_output=True, check=True, cwd=ROOT
    )
    return done.stdout


def _public_objects(package: ModuleType) -> dict[str, object]:
    """The classes and functions a package exports (not constants or type aliases)."""
    found = {}
    for name in package.__all__:
        value = getattr(package, name)
        if isinstance(value, type) or (callable(value) and hasattr(value, "__code__")):
            found[name] = value
    return found


@pytest.mark.parametrize("package", ["cryptshare_async", "cryptshare_async.testing"])
def test_importing_a_package_imports_neither_aiohttp_nor_the_client(package: str) -> None:
    out = _python(
        f"import sys, {package}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('aiohttp', 'yarl', 'multidict', 'attrs', 'cattrs', 'cryptshare_async')))"
    )
    loaded = set(ast.literal_eval(out.decode()))
    assert loaded <= {
        "cryptshare_async",
        "cryptshare_async._public",
        "cryptshare_async._version",
        "cryptshare_async.testing",
    }


@pytest.mark.parametrize("package", ["cryptshare_async", "cryptshare_async.testing"])
def test_every_exported_name_resolves_in_a_fresh_interpreter(package: str) -> None:
    # Each name first, alone, in its own order: no name depends on another being loaded.
    out = _python(
        f"import importlib, {package} as p\n"
        "names = list(p.__all__)\n"
        "missing = [n for n in reversed(names) if getattr(p, n, None) is None]\n"
        "print(missing, sorted(set(names) - set(dir(p))))"
    )
    assert out.split() == [b"[]", b"[]"]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_an_unknown_name_is_an_attribute_error(package: ModuleType) -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = package.Nope
    assert not hasattr(package, "Nope")


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_the_type_checking_imports_and_the_lazy_table_agree(package: ModuleType) -> None:
    assert package.__file__ is not None
    tree = ast.parse(Path(package.__file__).read_text(encoding="utf-8"))
    imported: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            if ast.unparse(node.test).startswith("not "):
                continue
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                for alias in statement.names:
                    imported[alias.name] = "." * statement.level + (statement.module or "")
    assert imported == package._EXPORTS
    assert set(imported) | {"__version__"} >= set(package.__all__)
    assert set(package.__all__) >= set(imported)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_exported_classes_and_functions_report_the_package_as_their_module(
    package: ModuleType,
) -> None:
    objects = _public_objects(package)
    assert len(objects) >= len(package.__all__) // 2
    for name, value in objects.items():
        assert value.__module__ == package.__name__, name
        # An alias (``Imprint = LegalText``) keeps the name of the class it names.
        qualname = getattr(value, "__qualname__", None)
        assert qualname == name or getattr(package, str(qualname), None) is value, name
        if isinstance(value, type):
            for attribute, member in vars(value).items():
                function = getattr(member, "__func__", getattr(member, "fget", member))
                code = getattr(function, "__code__", None)
                if code is not None and code.co_filename.startswith(PACKAGE_DIR):
                    assert function.__module__ == package.__name__, f"{name}.{attribute}"


def test_the_exception_line_of_a_traceback_uses_the_public_path() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cryptshare_async._errors import InvalidInputError\n"
            "raise InvalidInputError('bad address')",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "cryptshare_async.InvalidInputError: bad address"


def _status() -> TransferStatus:
    return structure(
        {"status": {"state": "FAILED", "futureKey": [1, 2]}, "transfer": {"futureTop": True}},
        TransferStatus,
    )


PICKLED = [
    pytest.param(lambda: TransferFailedError("failed", status=_status()), id="TransferFailedError"),
    pytest.param(lambda: WaitTimeoutError("slow", last_status=_status()), id="WaitTimeoutError"),
    pytest.param(lambda: ChecksumMismatchError("x", expected="a", actual="b"), id="Checksum"),
    pytest.param(
        lambda: ApiError(
            status=403, error_code=2005, error_message="locked", method="GET", path="/x"
        ),
        id="ApiError",
    ),
    pytest.param(lambda: StatusDetails(state=TransferState.ACTIVE), id="StatusDetails"),
    pytest.param(lambda: Recipient(mail="bob@example.org"), id="Recipient"),
    pytest.param(lambda: FileState.UPLOADED, id="FileState"),
    pytest.param(lambda: FaultRule(method="PUT", path="*/content", status=503), id="FaultRule"),
    pytest.param(lambda: EmulatorConfig(processing_seconds=0.5), id="EmulatorConfig"),
]


def _globals(data: bytes) -> set[tuple[str, str]]:
    """The (module, name) pairs a protocol-2 pickle refers to."""
    found = set()
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name == "GLOBAL":
            module, name = str(arg).split(" ")
            found.add((module, name))
    return found


@pytest.mark.parametrize("make", PICKLED)
def test_pickles_use_the_public_path_and_load_in_a_fresh_interpreter(
    make: Callable[[], object],
) -> None:
    value = make()
    data = pickle.dumps(value, protocol=2)
    public = {*cryptshare_async.__all__, *cryptshare_async.testing.__all__}
    referred = {(module, name) for module, name in _globals(data) if name in public}
    assert (type(value).__module__, type(value).__qualname__) in referred
    assert all(module in {p.__name__ for p in PACKAGES} for module, _ in referred), referred
    # Loaded by an interpreter that has imported nothing of the package yet.
    again = _python(
        "import pickle, sys\n"
        "value = pickle.loads(sys.stdin.buffer.read())\n"
        "sys.stdout.buffer.write(pickle.dumps(value, protocol=2))",
        stdin=data,
    )
    copy = pickle.loads(again)
    assert type(copy) is type(value)
    if isinstance(value, BaseException):
        assert isinstance(copy, BaseException)
        assert (copy.args, vars(copy)) == (value.args, vars(value))
    else:
        assert copy == value


def test_models_still_structure_after_moving_to_the_package() -> None:
    # typing.get_type_hints resolves annotations in the class's module: the package now.
    status = _status()
    assert status.status is not None
    assert status.status.state is TransferState.FAILED
    assert UploadedFile.__module__ == "cryptshare_async"


def test_doctest_finds_the_examples_of_exported_classes_in_the_package() -> None:
    # Their __module__ is the package, so doctest looks for them there (through the
    # package's lazy __test__), and no longer in the private module.
    names = {test.name for test in doctest.DocTestFinder().find(cryptshare_async) if test.examples}
    # (cryptshare_async.SecurityMode once loaded, cryptshare_async.__test__.SecurityMode before)
    assert any(name.endswith(".SecurityMode") for name in names)
    private = {test.name for test in doctest.DocTestFinder().find(_models_session)}
    assert not any(name.endswith(".SecurityMode") for name in private)


def test_the_suite_runs_the_doctests_of_every_module() -> None:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        pytest_options = tomllib.load(handle)["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in pytest_options["addopts"].split()
    assert "cryptshare_async" in pytest_options["testpaths"]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_type_hints_of_exported_classes_resolve_from_the_package(package: ModuleType) -> None:
    # get_type_hints looks names up in sys.modules[cls.__module__] (the package now):
    # claim() evaluated each class's annotations where they were written.
    for name in package.__all__:
        value = getattr(package, name)
        if isinstance(value, type):
            assert typing.get_type_hints(value) is not None, name
            assert not any(isinstance(a, str) for a in inspect.get_annotations(value).values())
