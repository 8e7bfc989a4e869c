"""A pyarrow filesystem as the fsspec filesystem DuckDB reads remote shards through.

fsspec's own wrapper hands DuckDB pyarrow's stream methods: DuckDB reads a range as a seek then a
read, and pyarrow's ``read`` may return fewer bytes than asked (DuckDB then fails with "Out of
buffer" or "only N bytes returned"; seen on multi-row-group files, one DuckDB thread or several).
The files opened here read each range positionally (``read_at``, which is thread-safe) until it
is complete or the file ends.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.fs as pafs
from fsspec.implementations.arrow import ArrowFSWrapper


class PositionalFile(io.RawIOBase):
    """A read-only, seekable file whose reads return every byte asked for up to the end."""

    def __init__(self, stream: pa.NativeFile, path: str) -> None:
        super().__init__()
        self._stream = stream
        self.path = path
        self.size = stream.size()
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = base + offset
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        remaining = max(0, self.size - self._position)
        wanted = remaining if size is None or size < 0 else min(size, remaining)
        chunks, got = [], 0
        while got < wanted:
            chunk = self._stream.read_at(wanted - got, self._position + got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        self._position += got
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        memoryview(buffer)[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


class RemoteFiles(ArrowFSWrapper):
    """A pyarrow filesystem answering DuckDB for one URI scheme."""

    def __init__(self, filesystem: pafs.FileSystem, scheme: str) -> None:
        self._scheme = scheme  # a URI's (gs://), which may not be the filesystem's name (gcs)
        super().__init__(filesystem)

    @property
    def protocol(self) -> tuple[str, ...]:
        return (self._scheme,)

    def _open(self, path, mode="rb", block_size=None, seekable=True, **kwargs):
        if mode == "rb":
            return PositionalFile(self.fs.open_input_file(path), path)
        return super()._open(path, mode, block_size, seekable, **kwargs)
