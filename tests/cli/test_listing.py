"""``sent`` and ``received``: tables and JSON lines, filters, limits and paging."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import BOB, SENDER, Cli

#: Listing needs the sent-/received-transfers endpoints (REST API 1.12).
pytestmark = pytest.mark.cryptshare_api_version(1, 12)


async def test_sent_lists_newest_first_as_json_lines(cli: Cli, files: list[Path]) -> None:
    first = await cli.send(files[0])
    second = await cli.send(files[1])
    result = await cli("sent", "--json")
    assert result.code == 0, result.err
    items = result.json_lines()
    assert [i["tracking_id"] for i in items] == [second, first]
    assert [i["state"] for i in items] == ["ACTIVE", "ACTIVE"]
    assert [[f["name"] for f in i["files"]] for i in items] == [["note.txt"], ["data.bin"]]
    assert items[0]["recipients"] == [
        {"mail": BOB, "kind": "to", "downloads": None, "notification_failed": False}
    ]

    table = await cli("sent")
    rows = table.out.splitlines()
    assert rows[0].split()[:3] == ["TRACKING", "ID", "STATE"]
    assert [row.split()[0] for row in rows[1:]] == [second, first]
    assert all(BOB in row for row in rows[1:])


async def test_filters_and_limit(cli: Cli, files: list[Path]) -> None:
    active = await cli.send(files[1])
    revoked = await cli.send(files[1])
    assert (await cli("revoke", revoked, "-q")).code == 0
    only_active = (await cli("sent", "--active", "--json")).json_lines()
    assert [i["tracking_id"] for i in only_active] == [active]
    only_inactive = (await cli("sent", "--inactive", "--json")).json_lines()
    assert [i["tracking_id"] for i in only_inactive] == [revoked]
    limited = (await cli("sent", "--limit", "1", "--json")).json_lines()
    assert [i["tracking_id"] for i in limited] == [revoked]


async def test_received_lists_what_bob_got(cli: Cli, files: list[Path]) -> None:
    tracking_id = await cli.send(files[1])
    result = await cli("received", "--sender", BOB, "--json")
    assert result.code == 0, result.err
    (item,) = result.json_lines()
    assert item["tracking_id"] == tracking_id
    assert item["sender"] == SENDER
    table = await cli("received", "--sender", BOB)
    assert table.out.splitlines()[0].endswith("FROM")
    assert table.out.splitlines()[1].endswith(SENDER)


async def test_empty_listing_says_so_on_stderr(cli: Cli) -> None:
    result = await cli("sent")
    assert result.code == 0
    assert result.out == ""
    assert result.err == "no sent transfers\n"


async def test_page_size_is_sent_and_every_page_read(cli: Cli) -> None:
    seeded = cli.emu.seed_transfers(SENDER, 5)
    result = await cli("sent", "--page-size", "2", "--json")
    assert result.code == 0, result.err
    assert [i["tracking_id"] for i in result.json_lines()] == seeded[::-1]
    pages = [
        r.query.get("page", "")
        for r in cli.emu.requests
        if r.path.endswith("/sent-transfers") and r.query.get("page-size") == "2"
    ]
    assert sorted(pages) == ["1", "2", "3"]


async def test_page_size_above_100_is_a_usage_error(cli: Cli) -> None:
    result = await cli("sent", "--page-size", "101")
    assert result.code == 2
    assert "at most 100" in result.err
    assert cli.emu.requests == []
