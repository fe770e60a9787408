"""finance-mst: the budget adds up, types come back, a bad config is refused, and it learns a planted dependence."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard_finance.marginal_dp import FinanceMarginalDP, cdp_delta, cdp_eps, cdp_rho

warnings.filterwarnings("ignore", category=UserWarning)
FAST = {"iters": 50, "final_iters": 100}


def _table(n: int = 400, seed: int = 0) -> sg.Table:
    rng = np.random.default_rng(seed)
    grade = rng.choice(["A", "B", "C"], size=n, p=[0.5, 0.3, 0.2])
    bad = np.where(grade == "C", rng.random(n) < 0.9, rng.random(n) < 0.1)  # planted: grade C defaults
    frame = pd.DataFrame({
        "grade": grade,
        "amount": rng.integers(1000, 9000, size=n),
        "rate": np.round(rng.uniform(5, 25, size=n), 2),
        "home": pd.Series(rng.choice(["own", "rent", None], size=n, p=[0.5, 0.4, 0.1]), dtype=object),
        "status": np.where(bad, "bad", "good"),
    })
    return sg.Table.from_frame(frame, name="planted")


def test_zcdp_conversion_round_trips_and_never_overstates():
    rho = cdp_rho(1.0, 1e-5)
    assert 0.01 < rho < 0.05
    assert cdp_delta(rho, 1.0) <= 1e-5
    assert cdp_eps(rho, 1e-5) <= 1.0 + 1e-9
    # tighter than Bun & Steinke's ρ + 2√(ρ log 1/δ)
    assert cdp_eps(rho, 1e-5) < rho + 2 * np.sqrt(rho * np.log(1e5))


def test_fit_at_small_epsilon_spends_at_most_what_was_asked_and_keeps_types():
    data = _table()
    gen = FinanceMarginalDP(epsilon=0.5, **FAST).fit(data, seed=1, device="cpu")
    ledger = gen.fit_info_["privacy"]["dp"]
    assert ledger["epsilon_spent"] <= 0.5 and ledger["epsilon_spent"] > 0.45
    assert ledger["delta"] == pytest.approx(1 / (10 * len(data)))
    assert ledger["rho_spent"] <= ledger["rho"] * (1 + 1e-9)
    assert ledger["delta_conversion"] + ledger["delta_thresholds"] == pytest.approx(ledger["delta"])
    assert ledger["unit"].startswith("record") and set(ledger["columns"]) == set(data.meta.names)
    assert gen.fit_info_["privacy"]["non_private"]
    out = gen.sample(300, seed=2).frame
    assert out["amount"].dtype == np.int64 and out["rate"].dtype == np.float64
    assert set(out["grade"].dropna()) <= {"A", "B", "C"} and set(out["status"]) <= {"good", "bad"}
    assert out["home"].map(lambda v: v is None or isinstance(v, str)).all()


def test_missing_values_are_a_cell_and_a_bundle_samples_the_same(tmp_path):
    data = _table()
    gen = FinanceMarginalDP(epsilon=20.0, **FAST).fit(data, seed=0, device="cpu")
    out = gen.sample(500, seed=3).frame
    assert 0.03 < out["home"].isna().mean() < 0.2  # 10% missing in the real column
    gen.save(tmp_path / "bundle")
    loaded = sg.Engine().load(tmp_path / "bundle")
    pd.testing.assert_frame_equal(loaded.sample(50, seed=4).frame, gen.sample(50, seed=4).frame)


def test_without_epsilon_or_with_a_bad_option_it_is_refused():
    with pytest.raises(sg.ConfigError, match="needs a privacy budget"):
        FinanceMarginalDP(**FAST).fit(_table(60), seed=0, device="cpu")
    with pytest.raises(sg.ConfigError, match="domain_share"):
        FinanceMarginalDP(epsilon=1.0, domain_share=1.5)
    with pytest.raises(sg.ConfigError, match="unknown column"):
        FinanceMarginalDP(epsilon=1.0, public_domains={"nope": {"categories": ["x"]}}).fit(_table(60), seed=0, device="cpu")


def test_public_domains_spend_nothing_on_those_columns():
    data = _table()
    gen = FinanceMarginalDP(epsilon=1.0, public_domains={"grade": {"categories": ["A", "B", "C", "D"]}},
                            **FAST).fit(data, seed=0, device="cpu")
    assert gen.fit_info_["privacy"]["dp"]["columns"]["grade"].startswith("public")
    assert [cd.labels for cd in gen.codecs_ if cd.name == "grade"] == [["A", "B", "C", "D"]]


def test_it_learns_a_planted_dependence_that_independent_columns_miss():
    """At a large ε the tree links status to grade: P(bad | C) stays near 0.9, P(bad | not C) near 0.1."""
    data = _table(800)
    out = FinanceMarginalDP(epsilon=30.0, **FAST).fit(data, seed=0, device="cpu").sample(2000, seed=0).frame
    bad = out["status"] == "bad"
    c = out["grade"] == "C"
    gap = bad[c].mean() - bad[~c].mean()  # independent columns give 0
    assert gap > 0.6, gap
