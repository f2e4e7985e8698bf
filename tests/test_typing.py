"""What user code sees under ``mypy --strict``: tests/typecheck/user_code.py pins return
types (overloads), refused arguments, and the names that are (not) public."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cryptshare_async

ROOT = Path(cryptshare_async.__file__).resolve().parents[1]
USER_CODE = Path(__file__).parent / "typecheck" / "user_code.py"


def test_user_code_type_checks_strictly() -> None:
    # The repository's mypy cache (warm after CI's own mypy run) keeps this quick. Only the
    # user's file is judged (follow-imports=silent), as in a user's project: the package
    # itself is checked by CI's own mypy run, on the newest dependencies.
    command = ["mypy", "--strict", "--follow-imports=silent", "--no-error-summary"]
    done = subprocess.run(
        [sys.executable, "-m", *command, str(USER_CODE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.stdout == ""
    assert done.returncode == 0, done.stderr


def test_the_checked_file_pins_errors_too() -> None:
    # An ignore that is not needed fails --strict (warn_unused_ignores): each one below
    # is an error user code must get.
    text = USER_CODE.read_text(encoding="utf-8")
    assert text.count("# type: ignore[") >= 5
    assert text.count("assert_type(") >= 6
