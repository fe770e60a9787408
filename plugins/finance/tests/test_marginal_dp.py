"""finance-mst: the budget adds up, types come back, a bad config is refused, domains come from the public grid,
a codebook or a DP threshold, the output stays inside the released domains, and it learns a planted dependence (as a
tree, and with a target as a tree-augmented naive Bayes); `generate` on a reference dataset gives it the declared target
and the dataset's codebook. Three fits in all (mbi compiles each new shape, ~5 s)."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard_finance.marginal_dp import R10, FinanceMarginalDP, cdp_delta, cdp_eps, cdp_rho

warnings.filterwarnings("ignore", category=UserWarning)
FAST = {"final_iters": 60}


def _table(n: int = 400, seed: int = 0) -> sg.Table:
    rng = np.random.default_rng(seed)
    grade = rng.choice(["A", "B", "C"], size=n, p=[0.5, 0.3, 0.2])
    bad = np.where(grade == "C", rng.random(n) < 0.9, rng.random(n) < 0.1)  # planted: grade C defaults
    frame = pd.DataFrame({
        "grade": grade,
        "amount": rng.integers(1000, 9000, size=n),
        "rate": np.round(rng.uniform(5, 25, size=n), 2),
        "home": pd.Series(rng.choice(["own", "rent", None], size=n, p=[0.5, 0.4, 0.1]), dtype=object),
        "city": rng.choice(["x", "y", *[f"r{i}" for i in range(40)]], size=n, p=[0.5, 0.3, *[0.2 / 40] * 40]),
        "status": np.where(bad, "bad", "good"),
    })
    return sg.Table.from_frame(frame, name="planted")


@pytest.fixture(scope="module")
def small_eps():
    data = _table()
    grade = {"grade": {"categories": ["A", "B", "C", "D"]}}  # public: no budget, no threshold
    return data, FinanceMarginalDP(epsilon=0.5, public_domains=grade, **FAST).fit(data, seed=1, device="cpu")


@pytest.fixture(scope="module")
def large_eps():
    """The target-aware structure (tree-augmented naive Bayes on ``status``)."""
    data = _table(800)
    return data, FinanceMarginalDP(epsilon=30.0, target="status", **FAST).fit(data, seed=0, device="cpu")


def test_zcdp_conversion_round_trips_and_never_overstates():
    rho = cdp_rho(1.0, 1e-5)
    assert 0.01 < rho < 0.05
    assert cdp_delta(rho, 1.0) <= 1e-5
    assert cdp_eps(rho, 1e-5) <= 1.0 + 1e-9
    # tighter than Bun & Steinke's ρ + 2√(ρ log 1/δ)
    assert cdp_eps(rho, 1e-5) < rho + 2 * np.sqrt(rho * np.log(1e5))


def test_fit_at_small_epsilon_spends_at_most_what_was_asked_and_keeps_types(small_eps):
    data, gen = small_eps
    ledger = gen.fit_info_["privacy"]["dp"]
    assert ledger["epsilon_spent"] <= 0.5 and ledger["epsilon_spent"] > 0.45
    assert ledger["delta"] == pytest.approx(1 / (10 * len(data)))
    assert ledger["rho_spent"] <= ledger["rho"] * (1 + 1e-9)
    assert ledger["rho_oneway"] == pytest.approx(ledger["rho"] * gen.config.oneway_share)
    assert ledger["delta_conversion"] + ledger["delta_thresholds"] == pytest.approx(ledger["delta"])
    assert ledger["unit"].startswith("record") and set(ledger["columns"]) == set(data.meta.names)
    assert len(ledger["tree"]) == len(data.meta.names) - 1
    assert gen.fit_info_["privacy"]["non_private"]
    out = gen.sample(300, seed=2).frame
    assert out["amount"].dtype == np.int64 and out["rate"].dtype == np.float64
    assert set(out["grade"].dropna()) <= {"A", "B", "C", "D"} and set(out["status"]) <= {"good", "bad"}
    assert out["home"].map(lambda v: v is None or isinstance(v, str)).all()


def test_a_column_that_keeps_few_values_still_samples_valid_rows(small_eps):
    """At a small ε the rare categories stay below the threshold: sampled rows carry released values, never None."""
    _, gen = small_eps
    codec = next(cd for cd in gen.codecs_ if cd.name == "city")
    assert codec.labels and set(codec.labels) <= {"x", "y"}  # no rare value released
    out = gen.sample(300, seed=1).frame
    assert out["city"].isin(codec.labels).all()


def test_a_category_no_value_of_which_is_released_fails_at_fit_naming_the_column():
    """Every value unique to one record: releasing any would break DP, so fit stops with one clear error."""
    frame = _table(200).frame.assign(ref=[f"id{i}" for i in range(200)])
    with pytest.raises(sg.DataError, match=r"no value of column\(s\) \['ref'\] cleared the DP release threshold"):
        FinanceMarginalDP(epsilon=1.0, **FAST).fit(sg.Table.from_frame(frame, name="ids"), seed=0, device="cpu")


def test_missing_values_are_a_cell_and_a_bundle_samples_the_same(large_eps, tmp_path):
    _, gen = large_eps
    out = gen.sample(500, seed=3).frame
    assert 0.03 < out["home"].isna().mean() < 0.2  # 10% missing in the real column
    gen.save(tmp_path / "bundle")
    loaded = sg.Engine().load(tmp_path / "bundle")
    pd.testing.assert_frame_equal(loaded.sample(50, seed=4).frame, gen.sample(50, seed=4).frame)


def test_numeric_bins_come_from_the_public_grid_not_the_data_range(large_eps):
    """Bin edges are edges of the public R10 grid: the observed extremes (e.g. 8999) are never an edge."""
    data, gen = large_eps
    codec = next(cd for cd in gen.codecs_ if cd.name == "amount")
    edges = {e for b in codec.bins for e in b}
    grid = {float(math.ceil(m * 10.0 ** k)) for k in range(0, 6) for m in R10}
    assert edges <= grid, edges - grid
    assert 4 <= len(codec.bins) <= 16
    assert data.frame["amount"].max() not in edges


def test_without_epsilon_or_with_a_bad_option_it_is_refused():
    with pytest.raises(sg.ConfigError, match="needs a privacy budget"):
        FinanceMarginalDP(**FAST).fit(_table(60), seed=0, device="cpu")
    with pytest.raises(sg.ConfigError, match="oneway_share"):
        FinanceMarginalDP(epsilon=1.0, oneway_share=1.5)
    with pytest.raises(sg.ConfigError, match="expected below 1"):
        FinanceMarginalDP(epsilon=1.0, oneway_share=0.6, select_share=0.5)
    with pytest.raises(sg.ConfigError, match="unknown column"):
        FinanceMarginalDP(epsilon=1.0, public_domains={"nope": {"categories": ["x"]}}).fit(_table(60), seed=0,
                                                                                          device="cpu")


def test_public_domains_spend_nothing_on_those_columns(small_eps):
    _, gen = small_eps
    assert gen.fit_info_["privacy"]["dp"]["columns"]["grade"] == "public (public_domains)"
    assert gen.fit_info_["privacy"]["dp"]["columns"]["city"].startswith("released")
    assert [cd.labels for cd in gen.codecs_ if cd.name == "grade"] == [["A", "B", "C", "D"]]


def test_it_learns_a_planted_dependence_that_independent_columns_miss(large_eps):
    """At a large ε the tree links status to grade: P(bad | C) stays near 0.9, P(bad | not C) near 0.1."""
    _, gen = large_eps
    out = gen.sample(2000, seed=0).frame
    bad = out["status"] == "bad"
    c = out["grade"] == "C"
    gap = bad[c].mean() - bad[~c].mean()  # independent columns give 0
    assert gap > 0.6, gap


def test_with_a_target_every_measured_marginal_holds_it(large_eps):
    data, gen = large_eps
    ledger = gen.fit_info_["privacy"]["dp"]
    assert ledger["structure"].startswith("tree-augmented naive Bayes")
    assert len(ledger["measured"]) == len(data.meta.names) - 2
    assert all(cl[0] == "status" and len(cl) == 3 for cl in ledger["measured"])
    with pytest.raises(sg.ConfigError, match="target 'nope' is not a column"):
        FinanceMarginalDP(epsilon=1.0, target="nope", **FAST).fit(_table(60), seed=0, device="cpu")


def test_the_model_keeps_only_released_domains_and_samples_inside_them(large_eps):
    """The bundle's metadata is the released domain, not the observed range; every sampled value lies inside it, so
    the finance bounds/categories checks have nothing to reject."""
    data, gen = large_eps
    amount = gen.meta_.column("amount")
    assert (amount.minimum, amount.maximum) != (data.frame["amount"].min(), data.frame["amount"].max())
    out = gen.sample(3000, seed=5).frame
    for name in ("amount", "rate"):
        col = gen.meta_.column(name)
        assert out[name].between(col.minimum, col.maximum).all(), name
    city = gen.meta_.column("city")
    assert set(out["city"]) <= set(city.categories) and len(city.categories) < data.meta.column("city").n_unique
    from synthguard import CheckContext
    from synthguard_finance.validators import BoundsValidator, CategoryValidator
    context = CheckContext(meta=gen.meta_, reference_hashes=np.array([]), options={})
    for check in (BoundsValidator(), CategoryValidator()):
        check.prepare(context)
        assert not check.check(gen.sample(3000, seed=5), context).rejected.any(), check.name


def test_the_release_is_reproducible_and_hides_the_exact_record_count(small_eps):
    data, gen = small_eps
    a, b = gen.measure(data, seed=7), gen.measure(data, seed=7)
    assert a["total"] == b["total"] and a["total"] != len(data)
    assert abs(a["total"] - len(data)) < 6 * a["sigma_total"]
    assert [m.clique for m in a["measurements"]] == [m.clique for m in b["measurements"]]
    assert a["ledger"]["epsilon_spent"] <= 0.5


def test_a_reference_codebook_makes_its_categories_public():
    gen = FinanceMarginalDP(epsilon=1.0, public_domains="@german_credit")
    assert "bad" in gen.config.public_domains["creditability"].categories
    with pytest.raises(sg.ConfigError, match="expected a mapping of columns or one of"):
        FinanceMarginalDP(epsilon=1.0, public_domains="@nope")


# --------------------------------------------------------------------------- what the run makes public (issue 21)

def test_generate_on_a_reference_dataset_uses_its_declared_target_and_codebook(tmp_path, monkeypatch):
    """`generate finance --dataset D --epsilon 1` (here its Python form), no --set: the declaration's target and D's
    published codebook shape the mechanism, and report.json's ledger names both (a tiny declared dataset and codebook
    keep it fast)."""
    import types

    from synthguard_finance import codebooks

    tiny = sg.Dataset(name="tiny_loans", modality="table", load=lambda: _table(300), description="planted loans",
                      source="this test", licence="CC0", target="status")
    plugin = types.ModuleType("tiny_loans_plugin")
    plugin.register_datasets = sg.hookimpl(lambda register: register(tiny))
    engine = sg.Engine(plugins=[plugin])
    monkeypatch.setitem(codebooks.CODEBOOKS, "tiny_loans", {"grade": {"categories": ["A", "B", "C", "D"]},
                                                            "status": {"categories": ["bad", "good"]}})
    engine.generate("finance", 50, dataset="tiny_loans", config={"epsilon": 1.0, "final_iters": 60},
                    options={"audit": False}, out=tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["generator"]["name"] == "finance-mst"
    dp = report["privacy_ledger"]["dp"]
    assert dp["public_knowledge"] == {
        "target": {"column": "status", "source": "declared by reference dataset 'tiny_loans'"},
        "codebook": {"name": "tiny_loans", "source": "published codebook (synthguard_finance.codebooks)",
                     "columns": ["grade", "status"]},
        "public_domains_option": []}
    assert dp["columns"]["grade"] == "public (codebook 'tiny_loans')" and dp["columns"]["city"].startswith("released")
    assert dp["structure"].startswith("tree-augmented naive Bayes")
    assert all(cl[0] == "status" for cl in dp["measured"])
    assert any("'status' (declared by reference dataset 'tiny_loans')" in s
               for s in report["privacy_ledger"]["non_private"])
    # `fit` on the dataset too: the bundle's manifest records the same public choices
    engine.fit("finance", dataset="tiny_loans", config={"epsilon": 1.0, "final_iters": 60}).save(tmp_path / "model")
    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert manifest["fit"]["privacy"]["dp"]["public_knowledge"] == dp["public_knowledge"]


def test_the_public_defaults_follow_the_declaration_and_the_users_settings_win():
    """What `generate`/`fit` pass for german_credit, a user's table with and without --target, and --set overrides."""
    german = sg.datasets()["german_credit"]

    def config(user=None, **run):
        return FinanceMarginalDP(FinanceMarginalDP.public_config({"epsilon": 1.0, **(user or {})}, **run)).config

    c = config(target=german.target, dataset=german)
    assert (c.target, c.codebook) == ("creditability", "german_credit")
    assert c.target_source == "declared by reference dataset 'german_credit'"
    assert c.public_domains["purpose"].categories and c.public_domains["present_residence_since"].bounds == (1, 4)
    c = config(target="status", dataset=None)  # the user's own table with --target: no codebook is published for it
    assert (c.target, c.target_source, c.codebook, c.public_domains) == (
        "status", "named by the user (--target)", None, {})
    assert (config(target=None, dataset=None).target, config(target=None, dataset=None).codebook) == (None, None)
    c = config({"target": "none", "codebook": "none"}, target=german.target, dataset=german)  # --set ...=none
    assert (c.target, c.codebook, c.public_domains) == (None, None, {})
    c = config({"target": "purpose", "public_domains": "@german_credit"}, target=german.target, dataset=german)
    assert (c.target, c.target_source, c.codebook) == ("purpose", None, "german_credit")
    assert FinanceMarginalDP(c)._public_knowledge()["target"]["source"].startswith("the generator's target option")
    with pytest.raises(sg.ConfigError, match=r"codebook 'nope': expected one of \['credit_data'"):
        FinanceMarginalDP(epsilon=1.0, codebook="nope")
