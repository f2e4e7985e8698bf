"""Streaming uploads: sources, checksums on the fly, constant memory.

Example::

    uploaded = await session.upload("report.pdf")
    await session.upload(BytesSource(data, name="notes.txt"), checksum=ChecksumMode.STREAM)
    files = await session.upload_many(["a.pdf", "b.pdf"], concurrency=2)

The pieces: ``_sources`` (what can be uploaded), ``_hashing`` (algorithm names),
``_reader`` (the worker-thread chunk producer), ``_body`` (the PUT body and its
integrity checks), ``_progress``, ``_upload`` (register → stream → verify → clean up),
``_many`` (batches).
"""

from ._hashing import ChecksumAlgorithm, resolve_algorithm
from ._many import upload_many
from ._progress import FileProgressCallback, ProgressCallback
from ._sources import BytesSource, FileSource, Source, StreamSource, UploadSource
from ._upload import ChecksumMode, UploadedFile, upload, upload_content

__all__ = [
    "BytesSource",
    "ChecksumAlgorithm",
    "ChecksumMode",
    "FileProgressCallback",
    "FileSource",
    "ProgressCallback",
    "Source",
    "StreamSource",
    "UploadSource",
    "UploadedFile",
    "resolve_algorithm",
    "upload",
    "upload_content",
    "upload_many",
]
