"""The thorough audit: refit a generator on shadow sets and attack it; flags a copier, not a data-blind generator."""

from __future__ import annotations

import json
import types

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.errors import ConfigError, DataError
from synthguard.privacy.thorough import describe, thorough_audit
from toy import Copycat, Jitter


class Uniform(sg.Generator):
    """Leaks nothing: every column uniform over the range / categories its metadata states, whatever the rows."""

    name = "test-uniform"
    role = "baseline"
    description = "test double: ignores its training rows"
    domain = "finance"

    def _fit(self, data, *, device, seed, progress):
        return {}

    def _sample(self, n, *, seed, conditions):
        rng = np.random.default_rng(seed)
        out = {}
        for col in self.meta_.columns:
            if col.kind is sg.ColumnKind.numeric:
                values = rng.uniform(col.minimum, col.maximum, n)
                out[col.name] = values.round() if col.integer else values
            else:
                out[col.name] = rng.choice(np.array(col.categories, dtype=object), n)
        return sg.Table(pd.DataFrame(out), self.meta_)


plugin = types.ModuleType("thorough_test_plugin")
plugin.register_generators = sg.hookimpl(lambda register: [register(Copycat), register(Uniform), register(Jitter)])
FAST = {"shadows": 20, "permutations": 20}  # ~1 s a run on 150 + 150 rows


@pytest.fixture(scope="module")
def engine() -> sg.Engine:
    return sg.Engine(plugins=[plugin])


@pytest.fixture(scope="module")
def credit(engine) -> tuple[sg.Table, sg.Table]:
    """The first 300 rows of credit_data (real): 150 to train on, 150 held out."""
    table = engine.dataset("credit_data").load()
    return table.take(range(150)), table.take(range(150, 300))


def test_a_generator_that_copies_its_rows_leaks(engine, credit):
    calls = []
    r = thorough_audit(engine, "test-copycat", *credit, config={"copy_share": 1.0}, seed=0,
                       progress=lambda done, total: calls.append((done, total)), **FAST)
    assert r["verdict"] == "leaks" and r["worst_auc_significant"] and r["pooled_auc_significant"]
    assert r["worst_auc"] > r["worst_auc_null_p95"] and r["pooled_auc"] >= 0.75 and r["pooled_auc_ci"][0] > 0.5
    assert calls == [(i, 20) for i in range(1, 21)]
    assert r["generator"] == "test-copycat" and r["shadows"] == 20 and r["targets"] == {"outliers": 5, "random": 5}
    assert r["population"] == 300 and r["train_rows"] == 150 and r["synthetic_rows"] == 150
    assert [t["kind"] for t in r["per_target"]] == ["outlier"] * 5 + ["random"] * 5
    assert {t["source"] for t in r["per_target"]} <= {"train", "holdout"}
    assert r["seconds"] >= r["fit_seconds"] >= 0
    text = json.dumps(r)  # JSON-able as it is
    for row in r["per_target"]:  # what a target is, never its values
        assert set(row) == {"target", "kind", "source", "outlier_score", "auc", "auc_ci", "tpr_at_10pct_fpr",
                            "p_value", "cheap_auc"}
    assert not any(name in text for name in ("Seniority", "Expenses", "Income"))  # no column, hence no value
    assert "leaks" in describe(r) and f"{r['worst_auc']:.3f} > {r['worst_auc_null_p95']:.3f}" in describe(r)


def test_a_generator_blind_to_its_rows_shows_no_leak(engine, credit):
    r = thorough_audit(engine, "test-uniform", *credit, seed=0, **FAST)
    assert r["verdict"] == "no leak seen" and not r["worst_auc_significant"] and not r["pooled_auc_significant"]
    assert r["worst_auc"] <= r["worst_auc_null_p95"] and r["worst_p_value"] > 0.2
    assert "no leak seen" in describe(r) and "<=" in describe(r)


def test_shuffling_columns_across_rows_still_leaks_rare_values(engine, credit):
    """copy_share=0: no synthetic row is near a real one (the per-run checks see nothing), yet each column's
    values are training values, so a target's rare values in the output give it away: the strong attack's point."""
    r = thorough_audit(engine, "test-copycat", *credit, config={"copy_share": 0.0}, seed=1, **FAST)
    assert r["verdict"] == "leaks" and r["pooled_auc"] > 0.65
    assert r["cheap_on_same_runs"]["dcr"]["mean_auc"] < r["mean_auc"]  # nearest-record distance misses most of it


def test_without_a_holdout_the_population_is_train(engine, credit):
    r = thorough_audit(engine, "test-copycat", credit[0], None, config={"copy_share": 1.0}, **FAST)
    assert r["population"] == 150 and r["train_rows"] == 140  # every non-target record, in every shadow set
    assert {t["source"] for t in r["per_target"]} == {"train"} and r["verdict"] == "leaks"


def test_frames_are_read_like_the_cli_reads_files(engine, credit):
    train, holdout = (t.frame for t in credit)
    r = thorough_audit(engine, "test-uniform", train, holdout, **FAST)
    assert r["population"] == 300 and r["verdict"] == "no leak seen"


@pytest.mark.parametrize("change, error, message", [
    ({"generator": "nope"}, ConfigError, "thorough audit: unknown generator 'nope': expected one of"),
    ({"generator": None}, ConfigError, r"expected its name \(--generator NAME\)"),
    ({"config": {"copy_sharre": 1}}, ConfigError, "copy_sharre"),
    ({"config": {"epsilon": 1.0}}, ConfigError, "'test-copycat' cannot train with differential privacy"),
    ({"generator": "test-jitter", "config": None}, ConfigError,
     "'test-jitter' fits sequence data: train is table data"),
    ({"shadows": 21}, ConfigError, "shadows=21: expected an even number"),
    ({"shadows": 10}, ConfigError, "shadows=10: expected an even number of generator fits, at least 20"),
    ({"targets": (0, 0)}, ConfigError, r"targets=\(0, 0\): expected \(outliers, random\)"),
    ({"targets": 5}, ConfigError, "targets=5"),
    ({"permutations": 0}, ConfigError, "permutations=0"),
    ({"rows": 0}, ConfigError, "rows=0"),
    ({"train": "take:12"}, DataError, "train holds 12 records: expected at least 20 for 10 targets"),
    ({"train": "take:25", "holdout": None}, DataError, "hold 15 records besides the 10 targets: expected at least 20"),
    ({"train": "twice:10", "holdout": None}, DataError, "population holds 10 distinct records"),
    ({"holdout": "drop"}, DataError, r"holdout columns differ from train's: missing \['Price'\]"),
    ({"train": None}, DataError, "needs the training records"),
])
def test_bad_input_gives_one_clear_error_before_any_fit(engine, credit, change, error, message):
    args = {"generator": "test-copycat", "train": credit[0], "holdout": credit[1], "config": {"copy_share": 1.0},
            **FAST, **change}
    if isinstance(args["train"], str):  # "take:N": the first N rows; "twice:N": the first N rows, each twice
        how, n = args["train"].split(":")
        args["train"] = credit[0].take(list(range(int(n))) * (2 if how == "twice" else 1))
    if args["holdout"] == "drop":
        args["holdout"] = credit[1].frame.drop(columns="Price")
    calls = []
    with pytest.raises(error, match=message):
        thorough_audit(engine, progress=lambda done, total: calls.append(done), **args)
    assert calls == []  # refused before the first generator fit
