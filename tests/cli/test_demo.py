"""``demo``: end to end in-process, and through ``python -m cryptshare_async``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import cryptshare_async
from cryptshare_async.cli import main

_ROOT = Path(cryptshare_async.__file__).resolve().parents[1]


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of the demo (and its emulator) go here, to see what is left."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.cryptshare_api_version(1, 12)
def test_demo_walks_through_a_transfer_and_leaves_nothing(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--size-mib", "1"]) == 0
    out, err = capsys.readouterr()
    steps = [line for line in out.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert [s.split(".", 1)[0].strip() for s in steps] == [str(n) for n in range(1, 12)]
    for expected in (
        "Started a local Cryptshare emulator at http://127.0.0.1:",
        "Verified the sender alice@example.com by the emulator's demo client id",
        "Uploading 2 files (1.0 MiB)",
        "Waited until active: PROCESSING -> ACTIVE",
        "measurements.bin: 1.0 MiB, SHA-256 matches",
        "readme.txt: 60 B, SHA-256 matches",
        "Revoked: the transfer is now DELETED_BY_REVOCATION; bob@example.org was told:",
        "Demo finished: every step worked.",
    ):
        assert expected in out
    assert "Traceback" not in err
    assert sorted(line.split()[0] for line in err.splitlines()) == [
        "downloaded",
        "uploaded",
        "uploaded",
    ]
    assert list(scratch.iterdir()) == []


@pytest.mark.cryptshare_api_version(1, 12)
def test_demo_keep_and_json(scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--size-mib", "1", "--keep", "--json", "--quiet"]) == 0
    out, err = capsys.readouterr()
    documents = [json.loads(line) for line in out.splitlines()]
    steps = [d for d in documents if "step" in d]
    assert [d["step"] for d in steps] == list(range(1, 12))
    assert steps[-1]["ok"] is True
    assert any(d.get("state") == "DELETED_BY_REVOCATION" for d in steps)
    (kept,) = scratch.iterdir()
    assert documents[-1] == {"kept_in": str(kept)}
    assert err == ""
    assert sorted(p.name for p in (kept / "downloads").iterdir()) == [
        "measurements.bin",
        "readme.txt",
    ]
    for name in ("measurements.bin", "readme.txt"):
        assert (kept / "downloads" / name).read_bytes() == (kept / "outgoing" / name).read_bytes()


@pytest.mark.cryptshare_api_version(1, 12)
def test_python_dash_m_runs_the_demo(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(_ROOT), "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "cryptshare_async", "demo", "--size-mib", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Demo finished: every step worked." in done.stdout
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
