"""Test doubles: a generator that copies or perturbs training rows, so the gate has work to do."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import synthguard as sg


class CopycatConfig(sg.GeneratorConfig):
    copy_share: float = 0.3     # share of sampled rows that are verbatim training rows
    negative_share: float = 0.0  # share of rows whose first numeric column is made negative
    nudge: bool = False          # non-copied rows: a real row with its first numeric column + 1 (a near copy)
    noise: float = 0.0           # > 0: non-copied rows are a real row with numeric noise of this many std (a leak
    #                              beyond the near-copy gate that membership attacks see)


class Copycat(sg.Generator):
    """Some rows verbatim training rows (leaks); the rest draw each column from a different random row."""

    name = "test-copycat"
    role = "baseline"
    description = "test double: copies some training rows verbatim (a leak the gate must catch)"
    domain = "finance"
    Config = CopycatConfig

    def _fit(self, data, *, device, seed, progress):
        self.rows_ = data.frame.copy()
        return {"epochs_run": 1}

    def _sample(self, n, *, seed, conditions):
        rng = np.random.default_rng(seed)
        frame = self.rows_.iloc[rng.integers(0, len(self.rows_), n)].reset_index(drop=True).copy()
        mixed = rng.random(n) >= self.config.copy_share
        num = [c.name for c in self.meta_.columns if c.kind is sg.ColumnKind.numeric and not c.nullable]
        if self.config.nudge:
            frame.loc[mixed, num[0]] = frame.loc[mixed, num[0]] + 1
        elif self.config.noise > 0:
            for col in num:
                scale = self.config.noise * float(self.rows_[col].std())
                frame[col] = frame[col].astype("float64")
                frame.loc[mixed, col] = frame.loc[mixed, col] + rng.normal(0, scale, int(mixed.sum()))
        else:
            for col in frame.columns:  # mixed rows: every column from an independent random row
                donors = self.rows_[col].iloc[rng.integers(0, len(self.rows_), n)].reset_index(drop=True)
                frame.loc[mixed, col] = donors[mixed]
        for col in num[:1]:
            frame.loc[rng.random(n) < self.config.negative_share, col] = -1000
        return sg.Table(frame, self.meta_)

    def _get_state(self):
        return {}, {"rows": self.rows_.to_json(orient="split", date_format="iso")}

    def _set_state(self, tensors, state):
        from io import StringIO

        self.rows_ = pd.read_json(StringIO(state["rows"]), orient="split")


toy_plugin = types.ModuleType("toy_plugin")
toy_plugin.register_generators = sg.hookimpl(lambda register: register(Copycat))


class JitterConfig(sg.GeneratorConfig):
    noise: float = 0.01  # Gaussian noise, in units of the training data's standard deviation


class Jitter(sg.Generator):
    """Sequences or images: a random training record plus noise. Tiny noise = near copies; large = far from all."""

    name = "test-jitter"
    role = "baseline"
    description = "test double: training records with noise"
    modality = "sequence"
    Config = JitterConfig
    supports_save = False

    def _fit(self, data, *, device, seed, progress):
        self.data_ = data
        return {}

    def _sample(self, n, *, seed, conditions):
        rng = np.random.default_rng(seed)
        picked = self.data_.take(rng.integers(0, len(self.data_), n))
        if isinstance(picked, sg.ImageSet):
            x = picked.images
            return sg.ImageSet(x + rng.normal(0, self.config.noise * x.std(), x.shape), picked.metadata)
        x = picked.values
        noisy = x + rng.normal(0, 1, x.shape) * self.config.noise * np.nanstd(x, axis=(0, 1))
        return sg.SequenceSet(noisy, picked.channels, picked.statics)


class ImageJitter(Jitter):
    name = "test-image-jitter"
    modality = "image"


toy_plugin.register_generators = sg.hookimpl(lambda register: [register(Copycat), register(Jitter), register(ImageJitter)])
