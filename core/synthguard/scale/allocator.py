"""Undo Dask's allocator setting in the processes that sample chunks.

Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (``distributed.nanny.pre-spawn-environ``), so
that freed memory goes back to the system at once. Setting it also fixes glibc's mmap threshold at 128 KiB: every
tensor larger than that a sampling step frees is unmapped and the next one faults its pages in again. Measured on
the finance bundle's sampler (one thread, lending_club, benchmarks/README.md "Scale: sampling speed"): 985-1,081
rows/s without the variable, 379-408 with it, 1,140-1,232 with it and :func:`keep_freed_memory` (2026-12-04).
A chunk's memory is bounded by its rows, so keeping freed memory in the process costs at most one chunk's peak.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
TRIM_THRESHOLD = 128 << 20  # free memory at the heap's top kept before it is returned to the system
MMAP_THRESHOLD = 32 << 20  # allocations served by mmap (one chunk's largest tensors stay in the heap)

_done = False


def keep_freed_memory() -> bool:
    """In a process started with ``MALLOC_TRIM_THRESHOLD_`` set (a Dask worker), raise glibc's trim and mmap
    thresholds once; whether they were changed (False elsewhere, or without glibc)."""
    global _done
    if _done or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return False
    _done = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to undo
        return False
