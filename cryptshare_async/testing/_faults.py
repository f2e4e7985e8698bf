"""Fault injection: rules that make matching API requests fail, stall or drop.

Example::

    >>> rule = FaultRule(method="PUT", path="*/content", status=503, nth=1)
    >>> injector = FaultInjector(seed=7)
    >>> injector.add(rule)
    >>> injector.match("PUT", "/api/users/a@x.org/transfer-sessions/t/files/f/content") is rule
    True
    >>> injector.match("PUT", "/api/users/a@x.org/transfer-sessions/t/files/f/content") is None
    True
"""

from __future__ import annotations

import fnmatch
import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FaultInjector", "FaultRule", "FiredFault"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRule:
    """One fault. It matches a request by ``method`` (``"*"`` for any) and ``path``: a glob
    over the request path (``/api/...``; ``*`` also crosses ``/``), or a regular expression
    that must match the whole path when ``regex`` is true.

    When it fires, it waits ``delay`` seconds, then drops the connection after reading
    ``drop_after_bytes`` bytes of the request body if that is set, else answers ``status``
    with the spec's error body (``error_code`` defaults from the status, 429 gives 2007 and
    an optional ``Retry-After``), else lets the request through (a pure delay).

    It fires on every match with ``probability`` (seeded), or only on the ``nth`` match
    (1-based), and at most ``times`` times in all.
    """

    method: str = "*"
    path: str = "*"
    regex: bool = False
    status: int | None = None
    error_code: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    drop_after_bytes: int | None = None
    probability: float = 1.0
    nth: int | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.nth is not None and self.nth < 1:
            raise ValueError("nth is 1-based")
        if self.times is not None and self.times < 0:
            raise ValueError("times must not be negative")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.drop_after_bytes is not None and self.drop_after_bytes < 0:
            raise ValueError("drop_after_bytes must not be negative")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.regex:
            re.compile(self.path)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from the control endpoint's JSON (snake_case keys of this class)."""
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, method: str, path: str) -> bool:
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if self.regex:
            return re.fullmatch(self.path, path) is not None
        return fnmatch.fnmatchcase(path, self.path)


@dataclass(slots=True)
class _RuleState:
    rule: FaultRule
    matches: int = 0
    fired: int = 0


@dataclass(frozen=True, slots=True)
class FiredFault:
    """A record of one fault that fired (``Emulator.fired_faults``)."""

    rule: FaultRule
    method: str
    path: str


@dataclass(slots=True)
class FaultInjector:
    """Holds the rules and decides, with its own seeded RNG, which one fires."""

    seed: int
    _rules: list[_RuleState] = field(default_factory=list)
    fired: list[FiredFault] = field(default_factory=list)
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @property
    def rules(self) -> list[FaultRule]:
        return [state.rule for state in self._rules]

    def add(self, rule: FaultRule) -> None:
        self._rules.append(_RuleState(rule))

    def clear(self) -> None:
        self._rules.clear()

    def match(self, method: str, path: str) -> FaultRule | None:
        """The first rule that fires for this request, counting matches as it goes."""
        for state in self._rules:
            rule = state.rule
            if not rule.matches(method, path):
                continue
            state.matches += 1
            if rule.times is not None and state.fired >= rule.times:
                continue
            if rule.nth is not None:
                if state.matches != rule.nth:
                    continue
            elif rule.probability < 1.0 and self._random.random() >= rule.probability:
                continue
            state.fired += 1
            self.fired.append(FiredFault(rule, method, path))
            return rule
        return None
