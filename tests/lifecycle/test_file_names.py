"""Sanitising server file names, checksum algorithm names and digests (no I/O)."""

from __future__ import annotations

import hashlib

import pytest

from cryptshare_async._recipient import (
    DownloadError,
    DownloadTargetExistsError,
    _digests_match,
    _unique,
    hash_algorithm,
    safe_file_name,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/etc/shadow", "shadow"),
        ("C:\\Users\\x\\a.txt", "a.txt"),
        ("dir/", "dir"),
        ("a\x00b.txt", "a_b.txt"),
        ("tab\there\n.txt", "tab_here_.txt"),
        ('a<b>c:d"e|f?g*.txt', "a_b_c_d_e_f_g_.txt"),
        ("trailing. . ", "trailing"),
        ("  spaced.txt  ", "spaced.txt"),
        (".hidden", ".hidden"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("Lpt1.tar.gz", "_Lpt1.tar.gz"),
        ("nul .txt", "_nul .txt"),
        ("console.txt", "console.txt"),
        ("e\u0301.txt", "\u00e9.txt"),
    ],
)
def test_sanitised_names(name: str, expected: str) -> None:
    assert safe_file_name(name, fallback="fid") == expected


@pytest.mark.parametrize("name", [None, "", "   ", ".", "..", "...", "/", "../", "\\..\\"])
def test_nothing_usable_falls_back_to_the_sanitised_fallback(name: str | None) -> None:
    assert safe_file_name(name, fallback="Ab12Cd34Ef") == "Ab12Cd34Ef"
    assert safe_file_name(name, fallback="../x") == "x"
    assert safe_file_name(name, fallback="..") == "download"


def test_overlong_names_are_shortened_keeping_the_extension() -> None:
    name = "ü" * 200 + ".pdf"
    safe = safe_file_name(name)
    assert safe.endswith(".pdf")
    assert len(safe.encode("utf-8")) <= 255
    assert safe.startswith("ü")
    long_extension = "x." + "y" * 300
    assert len(safe_file_name(long_extension).encode("utf-8")) <= 255


def test_unique_names_in_one_batch() -> None:
    used: set[str] = set()
    assert [_unique(n, used) for n in ["a.txt", "A.TXT", "a.txt", "b", "b"]] == [
        "a.txt",
        "A (2).TXT",
        "a (3).txt",
        "b",
        "b (2)",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SHA-256", "sha256"),
        ("SHA256", "sha256"),
        ("sha_256", "sha256"),
        ("sha-1", "sha1"),
        ("SHA-512", "sha512"),
        ("MD5", "md5"),
        ("SHA3-256", "sha3_256"),
    ],
)
def test_checksum_algorithm_spellings(name: str, expected: str) -> None:
    assert hash_algorithm(name) == expected


def test_unknown_checksum_algorithm_is_an_error() -> None:
    with pytest.raises(DownloadError, match="verify=False"):
        hash_algorithm("CRC32")


def test_digest_comparison_accepts_hex_in_any_case_and_base64() -> None:
    digest = hashlib.sha256(b"x").digest()
    assert _digests_match(digest.hex(), digest)
    assert _digests_match(digest.hex().upper(), digest)
    import base64

    assert _digests_match(base64.b64encode(digest).decode(), digest)
    assert not _digests_match(hashlib.sha256(b"y").hexdigest(), digest)
    assert not _digests_match("not a digest!", digest)


def test_target_exists_error_is_also_a_file_exists_error() -> None:
    from pathlib import Path

    error = DownloadTargetExistsError("exists", path=Path("x"))
    assert isinstance(error, FileExistsError)
    assert isinstance(error, DownloadError)
    assert str(error) == "exists"
