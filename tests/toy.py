"""Test doubles: a generator that copies or perturbs training rows, so the gate has work to do."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import synthguard as sg


class CopycatConfig(sg.GeneratorConfig):
    copy_share: float = 0.3     # share of sampled rows that are verbatim training rows
    negative_share: float = 0.0  # share of rows whose first numeric column is made negative


class Copycat(sg.Generator):
    """Resamples training rows; some verbatim (leaks), the rest jittered."""

    name = "test-copycat"
    domain = "finance"
    Config = CopycatConfig

    def _fit(self, data, *, device, seed, progress):
        self.rows_ = data.frame.copy()
        return {"epochs_run": 1}

    def _sample(self, n, *, seed, conditions):
        rng = np.random.default_rng(seed)
        frame = self.rows_.iloc[rng.integers(0, len(self.rows_), n)].reset_index(drop=True).copy()
        num = [c.name for c in self.meta_.columns if c.kind is sg.ColumnKind.numeric and not c.nullable]
        jitter = rng.random(n) >= self.config.copy_share
        for col in num[:1]:
            frame.loc[jitter, col] = frame.loc[jitter, col] + 1
            neg = rng.random(n) < self.config.negative_share
            frame.loc[neg, col] = -1000
        return sg.Table(frame, self.meta_)

    def _get_state(self):
        return {}, {"rows": self.rows_.to_json(orient="split", date_format="iso")}

    def _set_state(self, tensors, state):
        from io import StringIO

        self.rows_ = pd.read_json(StringIO(state["rows"]), orient="split")


toy_plugin = types.ModuleType("toy_plugin")
toy_plugin.register_generators = sg.hookimpl(lambda register: register(Copycat))
