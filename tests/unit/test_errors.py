"""The error tree: every error pickles with its attributes and its text."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from cryptshare_async import (
    BrokenSessionError,
    ChecksumMismatchError,
    CryptshareError,
    DownloadError,
    DownloadIntegrityError,
    DownloadTargetExistsError,
    RequestTimeoutError,
    SizeMismatchError,
    StatusDetails,
    TransferFailedError,
    TransferState,
    TransferStatus,
    WaitTimeoutError,
)
from cryptshare_async._converter import structure

STATUS = TransferStatus(status=StatusDetails(state=TransferState.FAILED))

ERRORS = [
    RequestTimeoutError("read timeout", method="PUT", path="/api/x"),
    ChecksumMismatchError("digest differs", expected="ab", actual="cd"),
    SizeMismatchError("sizes differ", expected=3, actual=2),
    TransferFailedError("failed", status=STATUS),
    WaitTimeoutError("too slow", last_status=STATUS),
    DownloadIntegrityError("bad", what="size", expected="3", actual="2"),
    DownloadTargetExistsError("exists", path=Path("a/b.txt")),
    BrokenSessionError("file 'a.bin' (f1) left", file_ids=("f1",)),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
def test_errors_pickle_with_their_attributes(error: CryptshareError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)


def test_download_errors_belong_to_the_tree() -> None:
    assert issubclass(DownloadIntegrityError, DownloadError)
    assert issubclass(DownloadTargetExistsError, FileExistsError)
    assert issubclass(DownloadError, CryptshareError)


def test_a_structured_status_with_raw_json_pickles() -> None:
    status = structure(
        {"status": {"state": "FAILED", "futureKey": [1, 2]}, "transfer": {"futureTop": True}},
        TransferStatus,
    )
    error = TransferFailedError("failed", status=status)
    copy = pickle.loads(pickle.dumps(error))
    assert copy.status == status
    assert copy.status.state is TransferState.FAILED
    assert copy.status.status is not None
    assert copy.status.status.raw["futureKey"] == [1, 2]
    assert dict(copy.status.raw) == dict(status.raw)
