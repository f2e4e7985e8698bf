"""Transfer states: one transition table, one function that writes a state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cryptshare_async.testing as testing
from cryptshare_async.testing._lifecycle import (
    DELETED_STATES,
    TRANSITIONS,
    TransferState,
    set_state,
)
from cryptshare_async.testing._state import Transfer


def _transfer(state: TransferState) -> Transfer:
    return Transfer(
        tracking_id="t",
        email="a@b.c",
        email_key="a@b.c",
        token="",
        settings={},
        recipients={},
        files={},
        entries=[],
        password=None,
        expires_at=None,  # type: ignore[arg-type]
        sequence=0,
        directory=None,
        state=state,
    )


@pytest.mark.parametrize("start", list(TransferState))
@pytest.mark.parametrize("target", list(TransferState))
def test_only_the_table_s_moves_are_allowed(start: TransferState, target: TransferState) -> None:
    transfer = _transfer(start)
    if target in TRANSITIONS[start]:
        set_state(transfer, target)
        assert transfer.state is target
    else:
        with pytest.raises(ValueError, match="cannot become"):
            set_state(transfer, target)
        assert transfer.state is start


def test_deleted_states_are_final_and_every_state_has_a_row() -> None:
    assert set(TRANSITIONS) == set(TransferState)
    assert all(not TRANSITIONS[state] for state in DELETED_STATES)


def test_no_other_code_writes_a_transfer_state() -> None:
    package = Path(testing.__file__).parent
    writes = re.compile(r"\.state\s*=(?!=)")
    offenders = [
        f"{path.name}:{number}"
        for path in package.glob("*.py")
        if path.name != "_lifecycle.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if writes.search(line) and "FileState" not in line
    ]
    assert offenders == []
