"""Response models: convenience properties, ordering, documentation examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

from cryptshare_async._converter import structure
from cryptshare_async._enums import TransferState
from cryptshare_async._models import (
    ApiVersion,
    FileStatus,
    ServerStatus,
    StatusDetails,
    TransferListItem,
    TransferStatus,
)


def test_transfer_status_reads_through_to_status() -> None:
    status = structure(
        {
            "status": {
                "state": "FAILED",
                "warnings": True,
                "files": [
                    {"id": "f1", "removed": True, "removalCause": "Virus found"},
                    {"id": "f2", "removed": False},
                    {"id": "f3"},
                    {"id": "f4", "removed": True},
                ],
            }
        },
        TransferStatus,
    )

    assert status.state is TransferState.FAILED
    assert status.warnings is True
    assert status.removed_files == (
        FileStatus("f1", True, "Virus found"),
        FileStatus("f4", True),
    )


def test_transfer_status_without_status() -> None:
    status = TransferStatus()

    assert (status.state, status.warnings, status.removed_files) == (None, None, ())
    assert StatusDetails().removed_files == ()


def test_list_item_state() -> None:
    assert TransferListItem(tracking_id="t").state is None
    item = TransferListItem(status=StatusDetails(state=TransferState.ACTIVE))
    assert item.state is TransferState.ACTIVE


def test_api_versions_order_by_major_then_minor() -> None:
    versions = [ApiVersion(2, 0), ApiVersion(1, 13), ApiVersion(1, 8)]

    assert sorted(versions) == [ApiVersion(1, 8), ApiVersion(1, 13), ApiVersion(2, 0)]
    assert ServerStatus(api_versions=tuple(versions)).max_version == ApiVersion(2, 0)
    assert ServerStatus().max_version is None
    assert not ServerStatus().supports(1, 0)


@pytest.mark.parametrize(
    "module",
    [
        "_converter",
        "_enums",
        "_models",
        "_models_base",
        "_models_misc",
        "_models_session",
        "_models_status",
        "_unset",
    ],
)
def test_documentation_examples_run(module: str) -> None:
    mod = importlib.import_module(f"cryptshare_async.{module}")

    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)

    assert result.attempted > 0
    assert result.failed == 0
