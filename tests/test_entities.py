"""People, not rows: a table's --entity-column keeps each person on one side of the split, and value
protection and the audit count people."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import synthguard as sg

from toy import toy_plugin


@pytest.fixture
def loans() -> pd.DataFrame:
    """A test table (generated here, not real data): 150 customers with 1-6 loans each, and a loan id."""
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 7, 150)
    customer = np.repeat(np.arange(150), counts)
    n = len(customer)
    return pd.DataFrame({"customer": [f"c{c:04d}" for c in customer], "loan_id": np.arange(n),
                         "age": (customer % 50) + 20, "amount": rng.gamma(2, 3000, n).round(2),
                         "purpose": rng.choice(["car", "home", "study"], n)})


def test_an_entity_column_splits_and_audits_by_person(loans, tmp_path):
    engine = sg.Engine(plugins=[toy_plugin])
    result = engine.generate("test-copycat", 100, data=loans, config={"copy_share": 0.0},
                             sequence_format={"entity": "customer"}, out=tmp_path / "o")
    assert "customer" not in result.data.columns  # the entity id is not modelled
    audit = result.report["audit"]
    assert audit["unit"] == "customer"  # named by the --entity-column
    mia = audit["membership_inference"]
    held = round(0.2 * len(loans))
    assert mia["non_members"] < held  # people, not their rows
    protection = result.report["generator"]["fit"]["value_protection"]
    assert protection["entities_given"] and protection["entities"] < len(loans)
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["release"]["decision"] in ("pass", "cannot tell", "fail")


def test_no_customer_is_on_both_sides_of_the_split(loans):
    table = sg.Table.from_frame(loans).with_entities("customer")
    train, hold = sg.holdout_split(table, 0.2, seed=0)
    assert not set(train.groups()) & set(hold.groups())
    assert len(train) + len(hold) == len(loans)


def test_value_protection_drops_identifiers_and_is_reported(loans, cli, tmp_path):
    data = tmp_path / "loans.csv"
    loans.drop(columns="customer").to_csv(data, index=False)
    proc = cli("generate", "finance", "--data", str(data), "--rows", "20", "--epochs", "1", "--set", "d_model=16",
               "--out", str(tmp_path / "o"), "--override-audit", "tiny model under test")
    assert proc.returncode == 0, proc.stderr
    assert "identifier columns not modelled: loan_id" in proc.stdout
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [d["column"] for d in report["generator"]["fit"]["value_protection"]["dropped"]] == ["loan_id"]
    assert "loan_id" not in pd.read_parquet(tmp_path / "o" / "synthetic.parquet").columns


def test_an_unknown_entity_column_is_one_clear_error(loans):
    with pytest.raises(sg.DataError, match="unknown column 'client'"):
        sg.Engine(plugins=[toy_plugin]).generate("test-copycat", 10, data=loans, sequence_format={"entity": "client"})
