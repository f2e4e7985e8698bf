"""A fault rule's flat fields become one chain of action classes, in one fixed order."""

from __future__ import annotations

import pytest

from cryptshare_async.testing import FaultRule
from cryptshare_async.testing._fault_actions import (
    Delay,
    DropRequest,
    ErrorStatus,
    FaultAction,
    LoseAnswer,
    PassThrough,
    Truncate,
)


@pytest.mark.parametrize(
    ("rule", "action"),
    [
        (FaultRule(status=503), ErrorStatus(503, 5000)),
        (FaultRule(status=429, retry_after=2), ErrorStatus(429, 2007, 2)),
        (FaultRule(status=409, error_code=2001), ErrorStatus(409, 2001)),
        (FaultRule(drop_after_bytes=10), DropRequest(10)),
        (FaultRule(drop_after_bytes=0, status=503), DropRequest(0)),
        (FaultRule(lose_answer="drop"), LoseAnswer("drop")),
        (FaultRule(lose_answer="bad_gateway"), LoseAnswer("bad_gateway")),
        (FaultRule(lose_answer="truncate"), Truncate()),
        (FaultRule(delay=0.5), Delay(0.5, PassThrough())),
        (FaultRule(delay=1, status=500), Delay(1, ErrorStatus(500, 5000))),
        (FaultRule(delay=1, lose_answer="truncate"), Delay(1, Truncate())),
        (FaultRule(), PassThrough()),
    ],
)
def test_rule_to_action(rule: FaultRule, action: FaultAction) -> None:
    assert rule.action() == action
