"""DP-SGD training of the finance transformer spends exactly its ε, and the run says exactly what ε covers.

``generate finance --epsilon`` uses the domain's "dp" generator (finance-mst, see test_marginal_dp.py);
DP-SGD on the transformer is the alternative a Python user reaches by fitting the class with ``epsilon``.
"""

from __future__ import annotations

import numpy as np
import pytest
import synthguard as sg
from synthguard_finance import FinanceGenerator

TINY = {"epochs": 2, "d_model": 16, "n_layers": 1, "n_heads": 2}


@pytest.fixture(scope="module")
def credit():
    return sg.Engine().dataset("german_credit").load().take(np.arange(400))


def test_dp_training_spends_exactly_the_budget_and_records_it(credit, tmp_path):
    engine = sg.Engine()
    model = engine.fit(FinanceGenerator({**TINY, "epsilon": 1.0}), credit)
    dp = model.fit_info_["privacy"]["dp"]
    assert dp["epsilon_target"] == 1.0 and 0.9 <= dp["epsilon_spent"] <= 1.0  # spent, never exceeded
    assert dp["delta"] == pytest.approx(1 / 4000) and dp["accountant"] == "prv" and dp["noise_multiplier"] > 0.5
    assert dp["steps"] >= 2 and dp["epochs"] == 2 and "person" in dp["unit"]
    assert model.fit_info_["history"] is None  # per-epoch losses would be a release outside the ledger
    assert any("preprocessing" in s for s in model.fit_info_["privacy"]["non_private"])
    model.save(tmp_path / "bundle")  # DP weights load back into the standard architecture
    again = engine.load(tmp_path / "bundle")
    loaded = dict(again.fit_info_["privacy"]["dp"])  # the claim, checked on load against its own parameters
    assert loaded.pop("verification").startswith("verified on load") and loaded == dp
    assert again.sample(50, seed=3).frame.equals(model.sample(50, seed=3).frame)


def test_more_budget_means_less_noise(credit):
    engine = sg.Engine()
    noise = [engine.fit(FinanceGenerator({**TINY, "epsilon": e}), credit).fit_info_["privacy"]["dp"]["noise_multiplier"]
             for e in (0.5, 8.0)]
    assert noise[0] > 2 * noise[1]


def test_the_report_carries_the_ledger(credit, tmp_path):
    """What `generate finance --epsilon 2` does: the domain's DP generator, its ledger in the report."""
    result = sg.Engine().generate("finance", 100, data=credit.frame, config={"epsilon": 2.0, "final_iters": 200},
                                  out=tmp_path / "o", options={"override_audit": "ledger test: the audit is not under test"})
    assert result.report["generator"]["name"] == "finance-mst"
    ledger = result.report["privacy_ledger"]
    # a user's table without --target: MST's plain tree, no codebook (only the reference datasets publish one)
    assert ledger["dp"]["public_knowledge"] == {"target": None, "codebook": None, "public_domains_option": []}
    assert ledger["dp"]["structure"] == "tree of pairs"
    assert ledger["epsilon"] == result.report["generator"]["fit"]["privacy"]["dp"]["epsilon_spent"] <= 2.0
    assert any("not covered by ε, only the model" in s for s in ledger["non_private"])  # the filters ran
    assert "Privacy ledger" in (tmp_path / "o" / "report.html").read_text()


def test_without_privacy_filters_the_released_records_are_covered_by_epsilon_too(credit, tmp_path):
    """`--no-privacy-filters` with `--epsilon`: no filter compares the DP model's output with the training records
    (that would release records outside ε). Neither a DP model nor its bundle keeps hashes of those records."""
    options = {"override_audit": "ledger test: the audit is not under test", "privacy_filters": False}
    result = sg.Engine().generate("finance", 100, data=credit.frame, config={"epsilon": 2.0, "final_iters": 200},
                                  out=tmp_path / "o", options=options)
    filters = result.report["privacy"]
    assert {"core.exact-copy", "core.near-copy", "core.nndr", "core.k-anonymity"} <= set(filters)
    for summary in filters.values():
        assert summary["applied"] is False and summary["rejected"] == 0
        assert "differentially private (ε = " in summary["reason"]
    assert any("covered by ε like the model" in s for s in result.report["privacy_ledger"]["non_private"])
    with pytest.raises(sg.ConfigError, match="--no-privacy-filters needs a differentially private model"):
        sg.Engine().generate("finance", 100, data=credit.frame, config=TINY, options={"privacy_filters": False})

    engine = sg.Engine()
    model = engine.fit(FinanceGenerator({**TINY, "epsilon": 1.0}), credit)
    assert len(model.reference_hashes_) == 0  # a membership oracle for anyone holding the bundle otherwise
    model.save(tmp_path / "bundle")
    assert len(engine.load(tmp_path / "bundle").reference_hashes_) == 0
    assert len(engine.fit(FinanceGenerator(TINY), credit).reference_hashes_) == 400  # without DP they stay


def test_generators_without_dp_refuse_epsilon(credit):
    with pytest.raises(sg.ConfigError, match="cannot train with differential privacy"):
        sg.Engine().fit("finance-gaussian-copula", credit, config={"epsilon": 1.0})
