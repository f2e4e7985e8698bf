"""File checks of the processing phase; they stream from disk and run in a worker thread.

Example::

    >>> hash_name("sha-256"), hash_name("SHA256"), hash_name("md5")
    ('sha256', 'sha256', 'md5')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["ALGORITHMS", "CHUNK", "ScanResult", "display_name", "hash_name", "scan_file"]

CHUNK: Final = 1024 * 1024

#: Spelling key (upper case, ``-``, ``_`` and blanks removed) → (canonical name, hashlib
#: name). The client has its own table (the emulator imports nothing from the client);
#: ``tests/emulator/test_checksum_tables.py`` checks that the two agree.
ALGORITHMS: Final[dict[str, tuple[str, str]]] = {
    "SHA256": ("SHA-256", "sha256"),
    "SHA1": ("SHA-1", "sha1"),
    "SHA512": ("SHA-512", "sha512"),
    "MD5": ("MD5", "md5"),
    "SHA224": ("SHA-224", "sha224"),
    "SHA384": ("SHA-384", "sha384"),
    "SHA3224": ("SHA3-224", "sha3_224"),
    "SHA3256": ("SHA3-256", "sha3_256"),
    "SHA3384": ("SHA3-384", "sha3_384"),
    "SHA3512": ("SHA3-512", "sha3_512"),
}
_IGNORED: Final = str.maketrans("", "", "-_ \t")


def _entry(algorithm: str) -> tuple[str, str] | None:
    return ALGORITHMS.get(algorithm.translate(_IGNORED).upper())


def hash_name(algorithm: str) -> str | None:
    """The hashlib name for a spelling such as ``SHA-256``/``sha256``; ``None`` if unknown."""
    entry = _entry(algorithm)
    return entry[1] if entry is not None else None


def display_name(algorithm: str) -> str:
    """The canonical spelling (``SHA-256``, ``MD5``) of a known algorithm."""
    entry = _entry(algorithm)
    return entry[0] if entry is not None else algorithm.upper()


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What one pass over a file found."""

    size: int
    digest: str
    infected: bool


def scan_file(path: Path, algorithm: str, signature: bytes) -> ScanResult:
    """Size, hex digest and whether ``signature`` occurs, in one streaming pass."""
    hasher = hashlib.new(hash_name(algorithm) or "sha256")
    keep = max(len(signature) - 1, 0)
    tail = b""
    size = 0
    infected = False
    with path.open("rb", buffering=0) as stream:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            hasher.update(chunk)
            if signature and not infected:
                window = tail + chunk
                infected = signature in window
                tail = window[-keep:] if keep else b""
    return ScanResult(size=size, digest=hasher.hexdigest(), infected=infected)
