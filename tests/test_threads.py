"""CPU threads: a generator that declares ``cpu_threads`` fits and samples on that many torch threads, and the
metrics run on one thread; torch's setting is back afterwards."""

from __future__ import annotations

import pandas as pd
import pytest
import synthguard as sg
import torch
from synthguard.models import one_thread, torch_threads
from synthguard.pipeline import compute_metrics
from threadpoolctl import threadpool_info

from toy import Copycat


class OneThreadCopycat(Copycat):
    name = "test-one-thread-copycat"
    cpu_threads = 1
    seen: dict[str, int] = {}

    def _fit(self, data, *, device, seed, progress):
        self.seen["fit"] = torch.get_num_threads()
        return super()._fit(data, device=device, seed=seed, progress=progress)

    def _sample(self, n, *, seed, conditions):
        self.seen["sample"] = torch.get_num_threads()
        return super()._sample(n, seed=seed, conditions=conditions)


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _table() -> sg.Table:
    return sg.Table.from_frame(pd.DataFrame({"age": [30, 41, 52, 63] * 5, "city": list("abab") * 5}))


def test_a_generator_with_cpu_threads_fits_and_samples_on_that_many_and_gives_torch_its_threads_back(two_threads):
    model = OneThreadCopycat().fit(_table())
    model.sample(5)
    assert OneThreadCopycat.seen == {"fit": 1, "sample": 1}
    assert torch.get_num_threads() == 2


def test_a_generator_without_cpu_threads_keeps_torchs_setting(two_threads):
    class AllThreads(OneThreadCopycat):
        name = "test-all-threads-copycat"
        cpu_threads = None
        seen: dict[str, int] = {}

    AllThreads().fit(_table()).sample(5)
    assert AllThreads.seen == {"fit": 2, "sample": 2}


def test_metrics_run_on_one_thread_of_torch_and_openmp(two_threads):
    class Threads(sg.Metric):
        name = "test.threads"

        def compute(self, real, synthetic, context):
            openmp = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"]
            return {"torch": torch.get_num_threads(), "openmp": max(openmp, default=1)}

    values = compute_metrics([Threads()], _table(), _table(), sg.MetricContext())
    assert values["test.threads"] == {"torch": 1, "openmp": 1}
    assert torch.get_num_threads() == 2


def test_a_limit_above_torchs_threads_changes_nothing(two_threads):
    with torch_threads(8):
        assert torch.get_num_threads() == 2
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
