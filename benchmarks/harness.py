"""Run one benchmark case in a fresh process, so its peak memory and imports are its own."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any, Callable


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _child(queue, fn: Callable[..., dict], args: tuple, label: dict) -> None:
    try:
        queue.put(fn(*args))
    except Exception as err:  # the table shows the failure instead of losing the other runs
        queue.put({**label, "error": f"{type(err).__name__}: {err}"})


def run_isolated(fn: Callable[..., dict], *args: Any, label: dict | None = None) -> dict:
    """``fn(*args)`` in a spawned process; a failure comes back as ``{**label, "error": ...}``."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, fn, args, label or {}))
    proc.start()
    result = queue.get()
    proc.join()
    return result
