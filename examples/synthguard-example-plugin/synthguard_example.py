"""The smallest useful SynthGuard plugin: one module, three hooks.

* ``example-marginals`` — a generator that draws every column independently from its
  real marginal (a classic floor baseline). Its whole state is JSON: no tensors, no pickle.
* ``example.adult-age`` — a validator rejecting records whose ``age`` column is under 18.
* ``example.mean-shift`` — a metric: mean absolute standardised difference of numeric means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import synthguard as sg


def _jsonable(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v


class MarginalsGenerator(sg.Generator):
    name = "example-marginals"
    role = "baseline"
    modality = "table"
    description = "independent columns drawn from the real marginals"

    def _fit(self, data: sg.Table, *, device, seed, progress):
        self.marginals_ = {}
        for col in data.meta.columns:
            counts = data.frame[col.name].value_counts(dropna=False)
            self.marginals_[col.name] = {"values": [_jsonable(v) for v in counts.index], "weights": counts.to_numpy().tolist()}
        return {"epochs_run": 1}

    def _sample(self, n, *, seed, conditions):
        rng = np.random.default_rng(seed)
        cols = {}
        for col in self.meta_.columns:
            m = self.marginals_[col.name]
            p = np.asarray(m["weights"], dtype=float)
            picks = rng.choice(len(p), size=n, p=p / p.sum())
            values = pd.Series([m["values"][i] for i in picks])
            if col.kind is sg.ColumnKind.datetime:
                values = pd.to_datetime(values)
            cols[col.name] = values
        return sg.Table(pd.DataFrame(cols), self.meta_)

    def _get_state(self):
        return {}, {"marginals": self.marginals_}

    def _set_state(self, tensors, state):
        self.marginals_ = state["marginals"]


class AdultAge(sg.Validator):
    name = "example.adult-age"
    description = "borrowers must be adults"

    def check(self, records, context):
        if "age" not in records.frame:
            return sg.Verdict.keep_all(len(records))
        age = pd.to_numeric(records.frame["age"], errors="coerce")
        return sg.Verdict.from_mask((age < 18).to_numpy(), "age under 18")


class MeanShift(sg.Metric):
    name = "example.mean-shift"
    description = "mean |difference of means| / real std over numeric columns (0 = identical)"

    def compute(self, real, synthetic, context):
        num = [c.name for c in real.meta.columns if c.kind is sg.ColumnKind.numeric]
        shifts = [abs(synthetic.frame[c].astype(float).mean() - real.frame[c].astype(float).mean())
                  / (real.frame[c].astype(float).std() or 1.0) for c in num]
        return {"mean_shift": float(np.mean(shifts)) if shifts else 0.0, "columns": len(num)}


@sg.hookimpl
def register_generators(register):
    register(MarginalsGenerator)


@sg.hookimpl
def register_validators(register):
    register(AdultAge)


@sg.hookimpl
def register_metrics(register):
    register(MeanShift)
