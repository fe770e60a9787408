"""`synthguard fit finance --resume BUNDLE --data NEW.csv`: a bundle fine-tuned on new rows of the same table
(issue 26), as a user runs it. Tiny models and a few epochs: the whole file takes seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import synthguard as sg
from synthguard.cli import main
from synthguard.testing import one_error, synthguard

ENGINE = sg.Engine()
TINY = ["--set", "d_model=16", "--set", "n_layers=1", "--set", "n_heads=2", "--device", "cpu", "--seed", "0"]


def table(path: Path) -> sg.Table:
    """A CSV as synthguard reads it."""
    return ENGINE.to_records(path)


def fit_facts(bundle: Path) -> dict:
    return json.loads((bundle / "manifest.json").read_text())["fit"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, Path]:
    """credit_data cut in three: the first training (old.csv), new rows of the same table, and unseen rows."""
    folder = tmp_path_factory.mktemp("loans")
    frame = ENGINE.dataset("credit_data").load().frame
    paths = {}
    for name, rows in {"old": slice(0, 300), "new": slice(300, 600), "unseen": slice(600, 800)}.items():
        paths[name] = folder / f"{name}.csv"
        frame.iloc[rows].to_csv(paths[name], index=False)
    return paths


@pytest.fixture(scope="module")
def bundle(tables, tmp_path_factory) -> Path:
    """A finance bundle fitted on old.csv for 30 epochs."""
    out = tmp_path_factory.mktemp("bundles") / "model"
    main(["fit", "finance", "--data", str(tables["old"]), "--out", str(out), "--epochs", "30", *TINY], standalone_mode=False)
    return out


def test_resume_continues_from_the_bundle_and_records_both_trainings(monkeypatch, capsys, tables, bundle, tmp_path):
    code, out, err = synthguard(monkeypatch, capsys, "fit", "finance", "--resume", bundle, "--data", tables["new"],
                                "--out", tmp_path / "resumed", "--epochs", "2", "--device", "cpu", "--seed", "0")
    assert code == 0, err
    assert "300 earlier + 300 new records" in out
    code, _, err = synthguard(monkeypatch, capsys, "fit", "finance", "--data", tables["new"], "--out",
                              tmp_path / "fresh", "--epochs", "2", *TINY)
    assert code == 0, err
    resumed, fresh = fit_facts(tmp_path / "resumed"), fit_facts(tmp_path / "fresh")
    # same seed, same rows, same masks: only the starting weights differ (2026-12-03: 2.220 vs 2.247)
    assert resumed["history"]["train_loss"][0] < fresh["history"]["train_loss"][0]
    old, new = (table(tables[name]).fingerprint() for name in ("old", "new"))
    assert [t["source_fingerprint"] for t in resumed["trainings"]] == [old, new]
    assert [t["records"] for t in resumed["trainings"]] == [300, 300]
    assert [t["source_fingerprint"] for t in fresh["trainings"]] == [new]
    model = sg.load(tmp_path / "resumed")  # the manifest's trainings pass the bundle schema and hash
    assert model.sample(50, seed=1).frame.columns.tolist() == table(tables["old"]).meta.names


@pytest.mark.parametrize("change, expected", [
    (lambda f: f.drop(columns="Debt"), "lacks column(s) ['Debt']"),
    (lambda f: f.assign(Branch="north"), "has column(s) ['Branch'] it was not trained on"),
    (lambda f: f.assign(Age=f["Age"].map(lambda a: f"{a} years")), "column 'Age' is categorical in the new data: "
                                                                  "expected the bundle's numeric column"),
    (lambda f: f.assign(Price=f["Price"].where(f.index % 7 > 0)), "column 'Price' has missing values"),
])
def test_a_changed_schema_is_refused_before_training_and_nothing_written(monkeypatch, capsys, tables, bundle, tmp_path,
                                                                         change, expected):
    changed = tmp_path / "changed.csv"
    change(table(tables["new"]).frame).to_csv(changed, index=False)
    code, out, err = synthguard(monkeypatch, capsys, "fit", "finance", "--resume", bundle, "--data", changed,
                                "--out", tmp_path / "resumed", "--epochs", "100000", "--device", "cpu")
    one_error(code, err, expected, "expected the bundle")
    assert out == "" and not (tmp_path / "resumed").exists()


def test_resuming_on_the_same_rows_says_it_trained_further_not_on_new_records(monkeypatch, capsys, tables, bundle,
                                                                           tmp_path):
    code, out, err = synthguard(monkeypatch, capsys, "fit", "finance", "--resume", bundle, "--data", tables["old"],
                                "--out", tmp_path / "more", "--epochs", "1", "--device", "cpu", "--seed", "0")
    assert code == 0, err
    assert "trained further on the same 300 records as training 1 (no new records)" in out  # was "300 new records"
    assert len(fit_facts(tmp_path / "more")["trainings"]) == 2

def test_new_categories_take_the_bundles_rare_marker_or_a_known_value(tables, bundle):
    from synthguard_finance.resume import RARE_MARKER, in_vocabulary

    model = sg.load(bundle)
    frame = table(tables["new"]).frame.head(40).copy()
    frame.loc[:9, "Home"] = "houseboat"
    mapped, counts = in_vocabulary(model.encoder_.codecs, frame, seed=0)
    home = next(c for c in model.encoder_.codecs if c.name == "Home")
    expected = {RARE_MARKER} if RARE_MARKER in home.values else set(map(str, home.values))
    assert counts["Home"] >= 10 and set(mapped.loc[:9, "Home"]) <= expected
    assert mapped.loc[10:, "Home"].tolist() == frame.loc[10:, "Home"].tolist()


def test_the_audit_of_a_resumed_model_counts_either_trainings_rows_as_members(monkeypatch, capsys, tables, bundle,
                                                                             tmp_path):
    code, _, err = synthguard(monkeypatch, capsys, "fit", "finance", "--resume", bundle, "--data", tables["new"],
                              "--out", tmp_path / "resumed", "--epochs", "1", "--device", "cpu")
    assert code == 0, err
    sample = ["sample", tmp_path / "resumed", "--rows", "20", "--holdout", tables["unseen"]]
    code, _, err = synthguard(monkeypatch, capsys, *sample, "--reference", tables["new"], "--out", tmp_path / "o1")
    one_error(code, err, "1 of the model's 2 trainings", "training 1 (300 records", "repeat --reference")
    assert not (tmp_path / "o1").exists()
    code, _, err = synthguard(monkeypatch, capsys, *sample, "--reference", tables["old"], "--reference",
                              tables["new"], "--out", tmp_path / "o2")
    assert code == 0, err
    report = json.loads((tmp_path / "o2" / "report.json").read_text())
    assert report["data"]["training_records"] == 600
