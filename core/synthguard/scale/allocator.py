"""Undo Dask's allocator setting in the processes that sample chunks.

Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (``distributed.nanny.pre-spawn-environ``), so
that freed memory goes back to the system at once. Setting it also fixes glibc's mmap threshold at 128 KiB: every
tensor larger than that a sampling step frees is unmapped and the next one faults its pages in again. Measured on
the finance bundle's sampler (one thread, lending_club, benchmarks/README.md "Scale: sampling speed"): 985-1,081
rows/s without the variable, 379-408 with it, 1,140-1,232 with it and :func:`keep_freed_memory` (2026-12-04).
Freed memory is kept while a chunk runs and given back after it (:func:`release_freed_memory`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
TRIM_THRESHOLD = 128 << 20  # free memory at the heap's top kept before it is returned to the system
MMAP_THRESHOLD = 32 << 20  # allocations served by mmap (one chunk's largest tensors stay in the heap)

_raised = False


@functools.lru_cache(maxsize=1)
def _glibc():
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None (musl, macOS)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def keep_freed_memory() -> bool:
    """In a process started with ``MALLOC_TRIM_THRESHOLD_`` set (a Dask worker), raise glibc's trim and mmap
    thresholds once; whether they were changed (False elsewhere, or without glibc)."""
    global _raised
    libc = _glibc()
    if _raised or libc is None or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    _raised = True
    return bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release_freed_memory() -> None:
    """After a chunk: give the memory it freed back to the system (glibc's ``malloc_trim``), so that a worker's heap
    does not creep from chunk to chunk."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
