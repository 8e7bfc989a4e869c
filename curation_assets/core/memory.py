"""Handing freed memory back to the operating system.

A million slim rows unpickled from workers, or a pass that reads thousands of texts back, leave
hundreds of megabytes that Python has freed but the allocators keep for reuse: glibc's malloc
(measured: 0.46 GiB kept after combining a million signed rows) and Arrow's memory pool. The
process's resident memory, what the machine and the benchmarks see, stays that high unless they
are asked to give it back, which costs milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import pyarrow as pa


@lru_cache(maxsize=1)
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


def return_free_memory() -> None:
    """Give the memory Arrow's pool and glibc's malloc hold free back to the operating system."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
