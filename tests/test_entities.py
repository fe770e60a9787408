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


@pytest.fixture
def survey() -> pd.DataFrame:
    """A test table (generated here, not real data): 500 respondents with distinct incomes, and 100 more who answer
    in one of 10 identical ways (10 each): a survey where identical rows are different people."""
    rng = np.random.default_rng(1)
    own = pd.DataFrame({"age": rng.integers(20, 80, 500), "region": rng.choice(["n", "s", "e", "w"], 500),
                        "income": rng.gamma(2, 9000, 500).round(2)})
    common = pd.DataFrame({"age": np.arange(30, 40), "region": "n", "income": 20000.0})
    return pd.concat([own, common.loc[common.index.repeat(10)]], ignore_index=True).sample(frac=1, random_state=1)


def test_every_row_a_person_keeps_records_k_of_them_share_and_a_run_without_says_so(survey):
    """Without ids, identical rows may be one person's repeats, so every copy of a training record is withheld, even
    one ten respondents gave; the report says so and names the fix. With --entity-column @row those are kept."""
    from synthguard.quality.html import render_html

    engine = sg.Engine(plugins=[toy_plugin])
    gate, page = {}, {}
    for entity in (None, "@row"):
        result = engine.generate("test-copycat", 300, data=survey, seed=0, config={"copy_share": 0.5},
                                 sequence_format={"entity": entity} if entity else None,
                                 options={"override_audit": "test: the gate is under test"})
        gate[entity], page[entity] = result.report["privacy"]["core.exact-copy"], render_html(result.report)
        if entity:
            assert result.report["audit"]["unit"] == "person" and "@row" not in result.data.columns
            copies = result.report["audit"]["exact_copies"]  # the audit does not count what the gate kept by design
            assert copies["count"] == 0 and copies["shared_records"]["copies_not_counted"] > 0
    shared = gate["@row"]["shared_records"]
    assert shared["k"] == 5 and shared["real_records_k_people_share"] == 10 and shared["kept"] > 0
    assert "note" not in gate["@row"]
    assert "shared_records" not in gate[None]
    assert "--entity-column @row keeps the records at least 5 people share" in gate[None]["note"]
    assert gate[None]["rejected"] > gate["@row"]["rejected"]
    fix = "--entity-column @row keeps"
    assert fix in page[None] and fix not in page["@row"]  # report.html says it too


def test_audit_of_any_tools_output_scores_people_with_an_entity_column(loans, cli, tmp_path):
    """`synthguard audit --entity-column customer`: members and non-members are customers, not loans; the synthetic
    table's own made-up customer column is dropped."""
    table = sg.Table.from_frame(loans).with_entities("customer")
    train, hold = sg.holdout_split(table, 0.2, seed=0)
    files = {}
    for name, part in (("real", train), ("holdout", hold)):
        frame = part.frame.copy()
        frame.insert(0, "customer", part.entities)
        files[name] = tmp_path / f"{name}.csv"
        frame.to_csv(files[name], index=False)
    synthetic = train.frame.sample(200, random_state=0).assign(customer="made-up")
    synthetic.to_csv(tmp_path / "synthetic.csv", index=False)
    args = ["audit", "--real", str(files["real"]), "--synthetic", str(tmp_path / "synthetic.csv"),
            "--holdout", str(files["holdout"]), "--json"]
    by_person = cli(*args, "--entity-column", "customer")
    assert by_person.returncode == 0, by_person.stderr
    audit = json.loads(by_person.stdout)
    assert audit["unit"] == "customer"
    assert audit["membership_inference"]["non_members"] == len(set(hold.entities)) < len(hold)
    by_row = cli(*args)  # without it the customer column is one more column to model, and rows are the unit
    assert json.loads(by_row.stdout)["unit"] == "record"
