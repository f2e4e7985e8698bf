"""Streaming uploads: sources, checksums on the fly, constant memory.

Example::

    uploaded = await session.upload("report.pdf")
    await session.upload(BytesSource(data, name="notes.txt"), checksum=ChecksumMode.STREAM)
    files = await session.upload_many(["a.pdf", "b.pdf"], concurrency=2)

The pieces: ``_sources`` (paths, buffers, streams), ``_file_objects`` and ``_readables``
(file objects, sync and async), ``_spool`` (streams of unknown size), ``_dispatch`` (what
``upload()`` accepts), ``_hashing`` (algorithm names),
``_reader`` (the worker-thread chunk producer), ``_body`` (the PUT body and its
integrity checks), ``_progress``, ``_upload`` (register → stream → verify → clean up),
``_many`` (batches).
"""

from ._dispatch import Source
from ._file_objects import FileObjectSource
from ._hashing import ChecksumAlgorithm, resolve_algorithm
from ._many import upload_many
from ._progress import FileProgressCallback, ProgressCallback
from ._sources import BytesSource, FileSource, StreamSource, UploadSource
from ._spool import SpooledSource, spool
from ._upload import ChecksumMode, UploadedFile, upload, upload_content

__all__ = [
    "BytesSource",
    "ChecksumAlgorithm",
    "ChecksumMode",
    "FileObjectSource",
    "FileProgressCallback",
    "FileSource",
    "ProgressCallback",
    "Source",
    "SpooledSource",
    "StreamSource",
    "UploadSource",
    "UploadedFile",
    "resolve_algorithm",
    "spool",
    "upload",
    "upload_content",
    "upload_many",
]
