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

__all__ = ["CHUNK", "ScanResult", "display_name", "hash_name", "scan_file"]

CHUNK: Final = 1024 * 1024

_ALGORITHMS: Final[dict[str, str]] = {
    "MD5": "md5",
    "SHA1": "sha1",
    "SHA224": "sha224",
    "SHA256": "sha256",
    "SHA384": "sha384",
    "SHA512": "sha512",
}


def hash_name(algorithm: str) -> str | None:
    """The hashlib name for a spelling such as ``SHA-256``/``sha256``; ``None`` if unknown."""
    return _ALGORITHMS.get(algorithm.replace("-", "").replace("_", "").upper())


def display_name(algorithm: str) -> str:
    """The canonical spelling (``SHA-256``, ``MD5``) of a known algorithm."""
    name = hash_name(algorithm)
    if name is None or name == "md5":
        return algorithm.upper()
    return f"SHA-{name[3:]}"


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
