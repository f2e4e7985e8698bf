"""What the package page and the wheel promise: one version, a licence, links, extras."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import cryptshare_async

_ROOT = Path(cryptshare_async.__file__).resolve().parents[1]


def _project() -> dict[str, Any]:
    with (_ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_the_version_is_written_once() -> None:
    config = _project()
    assert "version" not in config["project"]
    assert config["project"]["dynamic"] == ["version"]
    assert config["tool"]["hatch"]["version"]["path"] == "cryptshare_async/_version.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|(a|b|rc)\d+)?", cryptshare_async.__version__)


def test_the_licence_file_matches_the_declared_licence() -> None:
    project = _project()["project"]
    assert project["license"] == "MIT"
    text = (_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 cryptshare-async developers" in text


def test_links_and_classifiers() -> None:
    project = _project()["project"]
    assert set(project["urls"]) >= {"Homepage", "Source", "Issues", "Changelog"}
    assert all(url.startswith("https://") for url in project["urls"].values())
    assert "License :: OSI Approved :: MIT License" not in project["classifiers"]  # PEP 639
    versions = [c for c in project["classifiers"] if c.startswith("Programming Language")]
    assert "Programming Language :: Python :: 3.11" in versions


def test_the_pytest_extra_brings_what_the_plugin_needs() -> None:
    project = _project()["project"]
    extra = " ".join(project["optional-dependencies"]["pytest"])
    assert "pytest>=" in extra and "pytest-asyncio>=" in extra
    assert project["entry-points"]["pytest11"] == {"cryptshare_async": "cryptshare_async_pytest"}


def test_the_readme_opens_with_the_install_command_and_keeps_the_ci_test_command() -> None:
    readme = (_ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install cryptshare-async" in readme.split("\n## ", 1)[0]
    # .ci/run runs the first line with "pytest" of the first ```sh block, verbatim.
    first_sh = readme.split("\n```sh\n", 1)[1].split("\n```", 1)[0]
    test_line = next(line for line in first_sh.splitlines() if "pytest" in line)
    assert test_line.endswith("python -m pytest")
    assert "cryptshare-async demo" in first_sh
