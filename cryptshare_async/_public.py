"""Exported names report their public module (``cryptshare_async``), not the private one.

A module that defines public names ends with ``claim(globals())``: each class or function
it defines that its package exports (the package's ``__all__``) then has ``__module__``
set to the package, and so do the class's methods, so tracebacks, reprs, pickles, doctests
and documentation tools use the public path (``cryptshare_async.ApiError``).

Example::

    >>> import cryptshare_async
    >>> cryptshare_async.ApiError.__module__
    'cryptshare_async'
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

__all__ = ["claim", "doctests", "lazy_module", "load"]


def claim(namespace: MutableMapping[str, Any], package: str = "cryptshare_async") -> None:
    """Set ``__module__`` to ``package`` on the public names ``namespace`` defines.

    ``namespace`` is the calling module's ``globals()``; the names are those of
    ``package.__all__`` (the package is always imported before its modules).
    """
    module = namespace["__name__"]
    exported: Iterable[str] = getattr(sys.modules[package], "__all__", ())
    for name in exported:
        obj = namespace.get(name)
        if isinstance(obj, type) and obj.__module__ == module:
            _resolve_annotations(obj, namespace)
            for member in vars(obj).values():
                _rehome(member, module, package)
            obj.__module__ = package
        elif inspect.isfunction(obj) and obj.__module__ == module:
            obj.__module__ = package


def lazy_module(
    package: str, exports: dict[str, str], public: Iterable[str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The PEP 562 ``__getattr__`` and ``__dir__`` of a package whose public names
    (``public``, its ``__all__``) load from ``exports`` on first access; ``__test__``
    gives doctest the exported names' docstrings."""

    def getattr_(name: str) -> object:
        if name == "__test__":
            return doctests(package, exports)
        return load(package, exports, name)

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *public})

    return getattr_, dir_


def load(package: str, exports: dict[str, str], name: str) -> object:
    """The public ``name`` of ``package``, imported from its module on first access
    (the package's PEP 562 ``__getattr__``) and then cached in the package."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, package), name)
    setattr(sys.modules[package], name, value)
    return value


def _rehome(member: object, module: str, package: str) -> None:
    if isinstance(member, staticmethod | classmethod):
        member = member.__func__
    elif isinstance(member, property):
        for accessor in (member.fget, member.fset, member.fdel):
            _rehome(accessor, module, package)
        return
    # A method written in another private module (``open_session = _scope.open_session``)
    # belongs to the public class too.
    home = getattr(member, "__module__", None)
    if callable(member) and (home == module or _is_private(home)):
        with contextlib.suppress(AttributeError, TypeError):  # a builtin keeps its own
            member.__module__ = package


def _is_private(module: object) -> bool:
    return (
        isinstance(module, str)
        and module.startswith("cryptshare_async.")
        and any(part.startswith("_") for part in module.split("."))
    )


def _resolve_annotations(cls: type, namespace: MutableMapping[str, Any]) -> None:
    # typing.get_type_hints (and attrs/cattrs through it) evaluates a class's string
    # annotations in the globals of ``sys.modules[cls.__module__]``: once that is the
    # package, the defining module's names are out of reach. So evaluate them here,
    # where they are in scope; a name imported only for type checking stays a string.
    annotations = inspect.get_annotations(cls)
    if not any(isinstance(value, str) for value in annotations.values()):
        return
    scope, local = dict(namespace), dict(vars(cls))
    for key, value in annotations.items():
        if isinstance(value, str):
            with contextlib.suppress(Exception):  # a name imported only for type checking
                annotations[key] = eval(value, scope, local)
    cls.__annotations__ = annotations


def doctests(package: str, exports: dict[str, str]) -> dict[str, object]:
    """The package's ``__test__`` for doctest: its exported classes and functions.

    Their ``__module__`` is the package, so doctest looks for their examples there; lazy
    loading leaves them out of the package's namespace until used, hence this list."""
    found: dict[str, object] = {}
    for name in exports:
        value = load(package, exports, name)
        if (isinstance(value, type) or callable(value)) and (
            getattr(value, "__module__", None) == package
        ):
            found[name] = value
    return found
