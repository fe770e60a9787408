"""How many CPU threads torch uses for a stretch of work."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch


@contextmanager
def torch_threads(limit: int | None) -> Iterator[None]:
    """At most ``limit`` torch intra-op threads while the block runs, then as before; ``None``: unchanged.

    Small networks (an LSTM step, a VAE's MLPs) run many tiny kernels, and between two of them
    OpenMP's threads go to sleep (``OMP_WAIT_POLICY=PASSIVE``, which ``import synthguard`` sets so that busy
    cores are not fought over) and must be woken: on 2 cores a second thread made their fits 1.2–2.6× slower
    end to end, never faster (benchmarks/README.md, "CPU threads"). Convolutions over images, and the finance
    transformer's wider layers, do gain from a second thread.
    """
    before = torch.get_num_threads()
    if limit is None or before <= limit:
        yield
        return
    torch.set_num_threads(limit)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def one_thread() -> Iterator[None]:
    """Torch, OpenMP (scikit-learn's gradient boosting) and BLAS on one thread while the block runs.

    For many small models in a row, such as the metrics' predictors: on 2 cores the metrics of `generate finance
    --dataset lending_club --rows 1000` took 6.4 s with two threads and 2.2–2.8 s with one, those of `generate
    traffic --rows 20` 5.2 s and 0.7 s (2026-12-06, benchmarks/README.md, "CPU threads").
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), torch_threads(1):
        yield
