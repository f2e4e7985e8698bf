"""The UNSET sentinel."""

from __future__ import annotations

import copy
import pickle
import typing

from cryptshare_async._unset import UNSET, Settable, Unset


def test_unset_is_a_falsy_singleton_with_a_short_repr() -> None:
    assert Unset() is UNSET
    assert not UNSET
    assert repr(UNSET) == "UNSET"
    assert UNSET != None  # noqa: E711
    assert UNSET == UNSET


def test_unset_survives_copy_and_pickle_as_the_same_object() -> None:
    assert copy.copy(UNSET) is UNSET
    assert copy.deepcopy({"a": UNSET})["a"] is UNSET
    assert pickle.loads(pickle.dumps(UNSET)) is UNSET


def test_settable_is_the_union_with_unset() -> None:
    def patch(a: Settable[int], b: Settable[int | None]) -> None:
        return None

    hints = typing.get_type_hints(patch)

    assert hints["a"] == int | Unset
    assert hints["b"] == int | None | Unset
