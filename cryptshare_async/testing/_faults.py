"""Fault injection: rules that make matching API requests fail, stall or drop, or that
let the emulator act on a request and then lose its answer.

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
import math
import random
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Final

from ._errors import DEFAULT_CODE_FOR_STATUS
from ._fault_actions import (
    Delay,
    DropRequest,
    ErrorStatus,
    FaultAction,
    LoseAnswer,
    PassThrough,
    Truncate,
)

__all__ = ["LOSE_ANSWER_MODES", "FaultInjector", "FaultRule", "FiredFault"]

#: How ``lose_answer`` loses the answer of a request the emulator handled completely.
LOSE_ANSWER_MODES: Final = ("drop", "truncate", "bad_gateway")
#: Bounds that keep a rule from hanging the emulator (or a matcher from crawling).
MAX_DELAY: Final = 3600.0
MAX_RETRY_AFTER: Final = 86400.0
MAX_PATH_LENGTH: Final = 2048
_METHOD: Final = re.compile(r"^(?:\*|[A-Za-z]{1,16})$")


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRule:
    """One fault. It matches a request by ``method`` (``"*"`` for any) and ``path``: a glob
    over the request path (``/api/...``; ``*`` also crosses ``/``), or a regular expression
    that must match the whole path when ``regex`` is true.

    When it fires, it waits ``delay`` seconds, then drops the connection after reading
    ``drop_after_bytes`` bytes of the request body if that is set, else answers ``status``
    with the spec's error body (``error_code`` defaults from the status, 429 gives 2007 and
    an optional ``Retry-After``), else lets the request through (a pure delay).
    :meth:`action` is that sequence as action classes (:mod:`._fault_actions`).

    ``lose_answer`` ("act, then lose the answer") lets the emulator handle the request
    completely (its state changes), then loses the answer: ``"drop"`` closes the
    connection before any byte of it, ``"truncate"`` sends the head with the full
    ``Content-Length`` and then only part of the body (an answer without a body is cut
    in its head), ``"bad_gateway"`` sends an HTML 502 page instead, as a proxy would.
    An answer the handler already streamed (a download) can only be cut where it is.

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
    lose_answer: str | None = None

    def __post_init__(self) -> None:
        self._check_types()
        if not _METHOD.match(self.method):
            raise ValueError("method must be '*' or an HTTP method such as 'POST'")
        if not 0 < len(self.path) <= MAX_PATH_LENGTH:
            raise ValueError(f"path must be 1 to {MAX_PATH_LENGTH} characters")
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
        if not 0 <= self.delay <= MAX_DELAY:
            raise ValueError(f"delay must be 0 to {MAX_DELAY:g} seconds")
        if self.retry_after is not None and not 0 <= self.retry_after <= MAX_RETRY_AFTER:
            raise ValueError(f"retry_after must be 0 to {MAX_RETRY_AFTER:g} seconds")
        if self.error_code is not None and not 1000 <= self.error_code <= 9999:
            raise ValueError("error_code must be an API error code (1000-9999)")
        if self.lose_answer is not None:
            if self.lose_answer not in LOSE_ANSWER_MODES:
                raise ValueError(f"lose_answer must be one of {', '.join(LOSE_ANSWER_MODES)}")
            if self.status is not None or self.drop_after_bytes is not None:
                raise ValueError("lose_answer cannot be combined with status or drop_after_bytes")
        if self.regex:
            try:
                re.compile(self.path)
            except re.error as err:
                raise ValueError(f"path is not a valid regular expression ({err})") from None

    def _check_types(self) -> None:
        """Types first, so a rule from JSON cannot fail later, at match time."""
        for name in ("method", "path"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string")
        if not isinstance(self.regex, bool):
            raise ValueError("regex must be true or false")
        if self.lose_answer is not None and not isinstance(self.lose_answer, str):
            raise ValueError("lose_answer must be a string")
        for name in ("status", "error_code", "drop_after_bytes", "nth", "times"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"{name} must be an integer")
        for name in ("retry_after", "delay", "probability"):
            value = getattr(self, name)
            if value is None and name == "retry_after":
                continue
            if (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not math.isfinite(value)
            ):
                raise ValueError(f"{name} must be a finite number")

    @classmethod
    def from_json(cls, data: object) -> FaultRule:
        """Build a rule from the control endpoint's JSON (snake_case keys of this class).

        ``ValueError`` says what is wrong: not an object, an unknown key, a bad value.
        """
        if not isinstance(data, dict):
            raise ValueError("a fault rule is a JSON object")
        known = [f.name for f in fields(cls)]
        unknown = sorted(str(name) for name in data if name not in known)
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} (known: {', '.join(known)})")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def action(self) -> FaultAction:
        """What this rule does when it fires, as one chain of action classes; the one
        place where the order is decided: the delay first, then drop the request, else
        act and lose the answer, else answer the error status, else handle normally."""
        terminal: FaultAction
        if self.drop_after_bytes is not None:
            terminal = DropRequest(self.drop_after_bytes)
        elif self.lose_answer == "truncate":
            terminal = Truncate()
        elif self.lose_answer is not None:
            terminal = LoseAnswer(self.lose_answer)
        elif self.status is not None:
            code = self.error_code or DEFAULT_CODE_FOR_STATUS.get(self.status, 5000)
            terminal = ErrorStatus(self.status, code, self.retry_after)
        else:
            terminal = PassThrough()
        return Delay(self.delay, terminal) if self.delay else terminal

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
