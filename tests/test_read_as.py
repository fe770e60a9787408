"""A saved model reads its real data again as its training read it: `sample --reference`, `explain --data` and
`augment` with a bundle count the same people (a table's --entity-column) without being told twice."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import synthguard as sg

from toy import toy_plugin


@pytest.fixture
def loans(tmp_path):
    """A test table (generated here, not real data): 300 customers with 1-6 loans each, split by customer."""
    rng = np.random.default_rng(1)
    counts = rng.integers(1, 7, 300)
    customer = np.repeat(np.arange(300), counts)
    n = len(customer)
    frame = pd.DataFrame({"customer": [f"c{c:04d}" for c in customer], "age": (customer % 50) + 20,
                          "amount": rng.gamma(2, 3000, n).round(2), "purpose": rng.choice(["car", "home"], n)})
    held = frame["customer"].isin([f"c{c:04d}" for c in range(240, 300)])
    frame[~held].to_csv(tmp_path / "train.csv", index=False)
    frame[held].to_csv(tmp_path / "holdout.csv", index=False)
    return tmp_path / "train.csv", tmp_path / "holdout.csv"


def test_sample_reads_the_reference_with_the_bundles_entity_column(loans, tmp_path):
    train, holdout = loans
    engine = sg.Engine(plugins=[toy_plugin])
    model = engine.fit("test-copycat", train, config={"copy_share": 0.0}, sequence_format={"entity": "customer"})
    assert model.fit_info_["source"]["read_as"] == {"entity": "customer"}  # a column name, never a value
    model.save(tmp_path / "model")

    result = engine.sample(tmp_path / "model", 200, reference=train, holdout=holdout, out=tmp_path / "o")
    audit = result.report["audit"]
    assert audit["unit"] == "customer"
    assert audit["membership_inference"]["non_members"] == 60  # customers, not their rows
    assert "customer" not in pd.read_parquet(tmp_path / "o" / "synthetic.parquet").columns


def test_an_explicit_format_still_wins_over_the_recorded_one(loans, tmp_path):
    train, holdout = loans
    engine = sg.Engine(plugins=[toy_plugin])
    model = engine.fit("test-copycat", train, config={"copy_share": 0.0}, sequence_format={"entity": "customer"})
    with pytest.raises(sg.DataError, match="unknown column 'client'"):
        engine.sample(model, 20, reference=train, sequence_format={"entity": "client"})


def test_a_model_fitted_without_an_entity_column_records_none(loans):
    train, _ = loans
    model = sg.Engine(plugins=[toy_plugin]).fit("test-copycat", train)
    assert "read_as" not in model.fit_info_["source"]


def test_generate_records_how_it_read_the_data_in_the_reports_lineage(loans, tmp_path):
    train, _ = loans
    sg.Engine(plugins=[toy_plugin]).generate("test-copycat", 50, data=train, config={"copy_share": 0.0},
                                             sequence_format={"entity": "customer"}, out=tmp_path / "o")
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["lineage"]["data_source"]["read_as"] == {"entity": "customer"}
