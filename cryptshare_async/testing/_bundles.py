"""The recipient's bundles of a transfer: the ZIP, the EML and the checksums CSV.

Each is written to a file by a worker thread, streaming from the stored content (never a
whole file in memory), and sent from there.

Choices where the vendor's pages are silent (see ``FIDELITY.md``):

- The ZIP stores the files uncompressed (``ZIP_STORED``, ZIP64 where needed) under their
  file names; ``include-checksum-file`` adds ``checksums.csv``, the same text as the
  checksums endpoint.
- The checksums CSV is RFC 4180 with a header row: file name, size in bytes, checksum,
  algorithm; the header is in the request's language (English or German).
- The EML is ``multipart/mixed``: the confidential message as an HTML part, then the other
  files as base64 attachments in registration order; with ``threshold`` (MB), a file that
  would push the message past the threshold is left out (and the next ones tried).

Example::

    >>> rows = [("a.txt", 3, "ab12", "SHA-256")]
    >>> checksums_csv(rows, "en").splitlines()[1]
    'a.txt,3,ab12,SHA-256'
"""

from __future__ import annotations

import base64
import csv
import io
import uuid
import zipfile
from collections.abc import Sequence
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from typing import Final
from urllib.parse import quote

from ._checks import CHUNK
from ._state import now

__all__ = ["Attachment", "checksums_csv", "write_eml", "write_zip"]

#: A file to put in a bundle: its name and where its content is.
Attachment = tuple[str, Path]

_HEADERS: Final[dict[str, tuple[str, str, str, str]]] = {
    "en": ("File name", "Size (bytes)", "Checksum", "Algorithm"),
    "de": ("Dateiname", "Größe (Bytes)", "Prüfsumme", "Algorithmus"),
}
#: Base64 input per line (76 output characters) and per read (a multiple of it).
_B64_LINE: Final = 57
_B64_READ: Final = _B64_LINE * 16384


def checksums_csv(rows: Sequence[tuple[str, int, str, str]], language: str) -> str:
    """The CSV text: a header row in ``language`` then one row per file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_HEADERS.get(language, _HEADERS["en"]))
    writer.writerows(rows)
    return out.getvalue()


def write_zip(target: Path, files: Sequence[Attachment], checksums: str | None) -> None:
    """A ZIP of ``files`` at ``target``, plus ``checksums.csv`` when given (run in a thread)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, path in files:
            # ZIP64 records only where a member needs them (readers of plain ZIP abound).
            large = path.stat().st_size >= zipfile.ZIP64_LIMIT
            with path.open("rb") as source, archive.open(name, "w", force_zip64=large) as sink:
                while chunk := source.read(CHUNK):
                    sink.write(chunk)
        if checksums is not None:
            archive.writestr("checksums.csv", checksums.encode())


def write_eml(
    target: Path,
    *,
    sender: str,
    recipient: str,
    subject: str,
    message: Path,
    files: Sequence[Attachment],
    threshold_bytes: int | None,
) -> list[str]:
    """A MIME message at ``target``; the names of the files attached (run in a thread).

    The confidential message (``message``, HTML or text) is the body; attachments are
    base64-encoded in pieces, so memory stays bounded whatever the file sizes.
    """
    boundary = f"=_cryptshare_{uuid.uuid4().hex}"
    html = message.read_bytes()
    head = (
        f"From: {sender}\r\nTo: {recipient}\r\n"
        f"Subject: {Header(subject, 'utf-8').encode()}\r\n"
        f"Date: {format_datetime(now())}\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    size = len(head) + len(html) * 4 // 3 + 64
    attached: list[str] = []
    with target.open("wb") as out:
        out.write(head)
        out.write(base64.encodebytes(html).replace(b"\n", b"\r\n"))
        for name, path in files:
            encoded = (path.stat().st_size + 2) // 3 * 4 * 78 // 76 + 512
            if threshold_bytes is not None and size + encoded > threshold_bytes:
                continue
            size += encoded
            attached.append(name)
            quoted = quote(name, safe="")  # RFC 2231
            out.write(
                (
                    f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n"
                    "Content-Transfer-Encoding: base64\r\n"
                    f"Content-Disposition: attachment; filename*=utf-8''{quoted}\r\n\r\n"
                ).encode()
            )
            with path.open("rb") as source:
                while chunk := source.read(_B64_READ):
                    out.write(base64.encodebytes(chunk).replace(b"\n", b"\r\n"))
        out.write(f"\r\n--{boundary}--\r\n".encode())
    return attached
