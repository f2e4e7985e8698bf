"""Read a transfer's checksum list (the recipient's ``/checksums`` CSV) into typed rows.

No public page fixes the columns or the header's language, so columns are recognised
by their content: the first is the file name, the checksum is the one hex (or base64)
digest column, the size the one all-digit column, the algorithm the one naming a hash
(``SHA-256``, ``SHA3-512``, ``MD5``). A first row with neither a digest nor a number
is a header.

Example::

    >>> digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    >>> csv = f"Name,Size,Checksum,Algorithm\\na.txt,3,{digest},SHA-256"
    >>> row = parse_checksums(csv.encode())[0]
    >>> row.file_name, row.size, row.algorithm
    ('a.txt', 3, 'SHA-256')
"""

from __future__ import annotations

import csv
import io
import re
from typing import Final

from ._errors import ResponseParseError
from ._models import ChecksumRow

__all__ = ["parse_checksums"]

_HEX: Final = re.compile(r"[0-9A-Fa-f]{32,128}")
_BASE64: Final = re.compile(r"[A-Za-z0-9+/]{22,86}={0,2}")
_ALGORITHM: Final = re.compile(r"(?i)(sha|md|blake|shake)[-_ ]?[0-9a-z_-]*")
_MAX_ROWS: Final = 100_000


def _is_digest(text: str) -> bool:
    return bool(_HEX.fullmatch(text) or (_BASE64.fullmatch(text) and not text.isalpha()))


def parse_checksums(body: bytes) -> tuple[ChecksumRow, ...]:
    """The rows of the checksum CSV ``body`` (UTF-8, a BOM tolerated)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ResponseParseError("the checksum list is not UTF-8 text") from None
    try:
        table = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ResponseParseError(f"the checksum list is not CSV ({exc})") from None
    if len(table) > _MAX_ROWS:
        raise ResponseParseError(f"the checksum list has more than {_MAX_ROWS} rows")
    first = 1
    if table and not any(_is_digest(c.strip()) or c.strip().isdigit() for c in table[0][1:]):
        table, first = table[1:], 2  # a header row: no digest and no number
    rows: list[ChecksumRow] = []
    for number, row in enumerate(table, start=first):
        cells = [cell.strip() for cell in row]
        rest = cells[1:]
        digests = [c for c in rest if _is_digest(c)]
        if not cells[0] or not digests:
            raise ResponseParseError(f"the checksum list's row {number} has no checksum")
        checksum = digests[0]
        sizes = [c for c in rest if c.isascii() and c.isdigit() and c != checksum]
        names = [c for c in rest if c != checksum and _ALGORITHM.fullmatch(c)]
        rows.append(
            ChecksumRow(
                file_name=cells[0],
                checksum=checksum,
                size=int(sizes[0]) if sizes else None,
                algorithm=names[0] if names else None,
            )
        )
    return tuple(rows)
