"""The shadow-model membership-inference attack: flags a generator that copies, not one that ignores its data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.errors import DataError
from synthguard.privacy import TableDistance, choose_targets, shadow_attack
from synthguard.privacy.shadow import FEATURES, _auc_tpr


def frame(n: int, seed: int) -> pd.DataFrame:
    """A test table (generated here, not real data): two skewed numbers, a whole number, two categories."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "income": rng.lognormal(10, 0.6, n).round(2),
        "balance": rng.gamma(2, 500, n).round(2),
        "age": rng.integers(18, 80, n),
        "segment": rng.choice(["retail", "private", "business"], n, p=[0.6, 0.3, 0.1]),
        "region": rng.choice(list("abcdef"), n),
    })


@pytest.fixture(scope="module")
def population() -> sg.Table:
    return sg.Table.from_frame(frame(300, 0), name="people")


@pytest.fixture(scope="module")
def targets(population):
    return choose_targets(population, TableDistance, outliers=3, random=3, seed=0)


def copycat(train: sg.Table, seed: int) -> sg.Table:
    """Leaks everything: the synthetic data is the training data."""
    return train


def noisy_copycat(train: sg.Table, seed: int) -> sg.Table:
    """Leaks: training rows with a little noise on every number."""
    rng = np.random.default_rng(seed)
    f = train.frame.copy()
    for col in ("income", "balance"):
        f[col] = f[col] * (1 + rng.normal(0, 0.01, len(f)))
    return sg.Table(f, train.meta)


def independent(train: sg.Table, seed: int) -> sg.Table:
    """Leaks nothing: samples a fixed distribution whatever it was trained on."""
    return sg.Table(frame(len(train), 10_000 + seed), train.meta)


@pytest.mark.parametrize("fit_sample", [copycat, noisy_copycat], ids=["copy", "copy-plus-noise"])
def test_a_generator_that_copies_is_caught_for_every_target(population, targets, fit_sample):
    r = shadow_attack(fit_sample, population, targets["records"], shadows=20, train_rows=100, distance=TableDistance,
                      permutations=10)
    assert r["worst_auc"] == 1.0 and r["mean_auc"] >= 0.99 and r["pooled"]["auc"] >= 0.99
    assert all(t["tpr"] >= 0.9 for t in r["targets"])  # at 10% FPR (10 'out' runs each)
    assert r["pooled"]["tpr"] is None and "needs 100" in r["pooled"]["tpr_skipped"]  # 1% FPR of 60 'out' runs
    assert r["above_chance"] == list(range(6))
    assert r["worst_auc_significant"] and r["pooled_auc_significant"]
    assert all(t["p_value"] < 0.1 for t in r["targets"])
    assert r["cheap_on_same_runs"]["dcr"]["mean_auc"] >= 0.99  # the cheap score sees a copy too


def test_a_generator_that_ignores_its_data_reads_chance(population, targets):
    r = shadow_attack(independent, population, targets["records"], shadows=40, train_rows=100, distance=TableDistance,
                      permutations=30)
    low, high = r["pooled"]["auc_ci"]
    assert low <= 0.5 <= high
    assert abs(r["mean_auc"] - 0.5) < 0.1
    assert not r["worst_auc_significant"] and not r["pooled_auc_significant"]
    assert r["worst_auc"] <= r["null"]["worst_auc_p95"]
    assert r["null"]["pooled_p_value"] > 0.05 and r["null"]["worst_p_value"] > 0.05
    assert 0.5 < r["null"]["worst_auc_p95"] < 0.9  # the max over six noisy AUCs sits above 0.5 by chance alone


@pytest.mark.parametrize("classifier", ["logistic", "random-forest"])
def test_per_target_classifiers_catch_a_copy_too(population, targets, classifier):
    r = shadow_attack(copycat, population, targets["records"].take([0, 4]), shadows=20, train_rows=100,
                      distance=TableDistance, classifier=classifier, per_target=True, permutations=0)
    assert r["worst_auc"] == 1.0 and r["mean_auc"] == 1.0 and r["per_target_classifiers"]


def test_report_states_its_cost_and_set_up(population, targets):
    calls = []
    r = shadow_attack(copycat, population, targets["records"], shadows=20, train_rows=80, synthetic_rows=50,
                      distance=TableDistance, permutations=0, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 20) for i in range(1, 21)]
    assert r["fits"] == r["shadows"] == 20 and r["targets_count"] == 6 and r["train_rows"] == 80
    assert r["synthetic_rows"] == 50 and r["population"] == 300 and r["background"] == 294
    assert r["wall_s"] >= r["fit_s"] >= 0 and "null" not in r
    assert r["features"] == FEATURES
    scores = [t["outlier_score"] for t in r["targets"]]
    assert scores[:3] == sorted(scores[:3], reverse=True) and min(scores[:3]) >= max(scores[3:])  # outliers first
    assert all(t["in_population"] for t in r["targets"])
    assert set(r["targets"][0]) >= {"auc", "auc_ci", "tpr", "tpr_ci", "cheap_auc", "outlier_score"}


def test_same_seed_same_result(population, targets):
    def run():
        r = shadow_attack(noisy_copycat, population, targets["records"].take([0, 3]), shadows=20, train_rows=60,
                          distance=TableDistance, permutations=5, seed=3)
        return {k: v for k, v in r.items() if not k.endswith("_s")}

    assert run() == run()


def test_choose_targets_finds_the_isolated_record(population):
    f = population.frame.copy()
    f.loc[len(f)] = [10_000_000.0, 1_000_000.0, 79, "none", "z"]  # categories nobody else has: far from everyone
    table = sg.Table.from_frame(f)
    chosen = choose_targets(table, TableDistance, outliers=2, random=4, seed=1)
    assert chosen["indices"][0] == len(f) - 1
    assert chosen["kinds"] == ["outlier"] * 2 + ["random"] * 4 and len(set(chosen["indices"])) == 6
    assert chosen["outlier_scores"][0] == chosen["outlier_scores"].max()


def test_auc_and_tpr_match_scikit_learn():
    from sklearn.metrics import roc_auc_score, roc_curve

    rng = np.random.default_rng(0)
    for i in range(50):
        y = rng.integers(0, 2, 60)
        y[:2] = [0, 1]
        s = rng.integers(0, 6, 60).astype(float) if i % 2 else rng.normal(size=60) + y
        auc, tpr = _auc_tpr(y, s, 0.1)
        f, t, _ = roc_curve(y, s, drop_intermediate=False)
        assert auc[0] == pytest.approx(roc_auc_score(y, s)) and tpr[0] == pytest.approx(t[f <= 0.1 + 1e-12].max())


@pytest.mark.parametrize("kwargs, message", [
    ({"train_rows": 296}, "holds 294 records besides the targets: expected at least train_rows=296"),
    ({"shadows": 10}, "shadows=10: expected an even number of at least 20"),
    ({"shadows": 21}, "shadows=21: expected an even number"),
    ({"train_rows": 10}, "6 targets for shadow training sets of 10 records"),
    ({"synthetic_rows": 0}, "synthetic_rows=0"),
    ({"classifier": "svm"}, "classifier 'svm'"),
    ({"permutations": -1}, "permutations=-1"),
])
def test_bad_arguments_are_refused(population, targets, kwargs, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace("[", r"\[")):
        shadow_attack(copycat, population, targets["records"], **{"shadows": 20, "train_rows": 100,
                                                                   "distance": TableDistance, **kwargs})


def test_bad_targets_and_outputs_are_refused(population, targets):
    args = {"shadows": 20, "train_rows": 100, "distance": TableDistance}
    with pytest.raises(DataError, match="targets repeat a record"):
        shadow_attack(copycat, population, population.take([0, 0]), **args)
    with pytest.raises(DataError, match="no targets"):
        shadow_attack(copycat, population, population.take([]), **args)
    images = sg.ImageSet(np.zeros((3, 1, 4, 4), dtype=np.float32))
    with pytest.raises(DataError, match="targets are a ImageSet, the population a Table"):
        shadow_attack(copycat, population, images, **args)
    with pytest.raises(DataError, match="fit_sample returned DataFrame"):
        shadow_attack(lambda train, seed: train.frame, population, targets["records"], **args)
    with pytest.raises(DataError, match="fit_sample returned 100 records: expected at least synthetic_rows=150"):
        shadow_attack(copycat, population, targets["records"], synthetic_rows=150, **args)
    with pytest.raises(DataError, match="population holds 4 distinct records"):
        choose_targets(population.take([0, 1, 2, 3]), TableDistance, outliers=1, random=1)


def test_sequences_work_the_same_way():
    from pathlib import Path

    from synthguard.privacy import SequenceDistance

    z = np.load(Path(__file__).parent / "data" / "basic_motions.npz")
    recordings = sg.SequenceSet(z["values"], [str(c) for c in z["channels"]], pd.DataFrame({"activity": z["labels"]}))

    def jitter(train: sg.SequenceSet, seed: int) -> sg.SequenceSet:  # near copies of the training recordings
        rng = np.random.default_rng(seed)
        x = train.values + rng.normal(0, 0.01, train.values.shape) * np.nanstd(train.values, axis=(0, 1))
        return sg.SequenceSet(x, train.channels, train.statics)

    chosen = choose_targets(recordings, SequenceDistance, outliers=2, random=2)
    r = shadow_attack(jitter, recordings, chosen["records"], shadows=20, train_rows=30, distance=SequenceDistance,
                      permutations=5)
    assert r["worst_auc"] == 1.0 and r["mean_auc"] == 1.0 and r["distance"] == "core.sequence-rms"
