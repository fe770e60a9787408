"""synthguard explain: what a generator learned, read from its output — on a table with a planted dependency."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import synthguard_finance.plugin as finance_plugin

import synthguard as sg
from synthguard.explain import explain, near_copy_columns

HOSTILE = "<img src=x onerror=alert(1)>"
#: a model small enough to fit in seconds that still learns one strong dependence
TINY = {"epochs": 40, "d_model": 32, "n_layers": 1, "n_heads": 2, "max_bins": 8, "val_fraction": 0.0}


def planted(n: int = 600) -> pd.DataFrame:
    """b = 2a + noise; c and the hostile-named category independent of everything."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=n)
    return pd.DataFrame({"a": a.round(3), "b": (2 * a + 0.3 * rng.normal(size=n)).round(3),
                         "c": rng.normal(size=n).round(3), HOSTILE: rng.choice(["x", "y", "z"], n)})


@pytest.fixture(scope="module")
def engine():
    return sg.Engine(plugins=[finance_plugin], load_entrypoints=False)


@pytest.fixture(scope="module")
def run(engine, tmp_path_factory):
    """A generate run on the planted table, its model saved beside it (what --save-model writes)."""
    root = tmp_path_factory.mktemp("explain")
    planted().to_csv(root / "planted.csv", index=False)
    engine.generate("finance", rows=300, data=root / "planted.csv", config=TINY, out=root / "out", save_model=root / "model",
                    options={"audit": False})
    return root


def test_the_planted_dependency_is_the_strongest_in_real_and_synthetic_data(run, engine):
    result = explain(run / "out", data=run / "planted.csv", model=run / "model", engine=engine)
    dep = result["dependencies"]
    assert sorted(dep["strongest"]["real"][0]) == ["a", "b"]
    assert sorted(dep["strongest"]["synthetic"][0]) == ["a", "b"]
    assert dep["measures"]["numeric × numeric"] == "|Spearman ρ|"
    # the model predicts b from a, not from c: hiding a costs far more log-likelihood of b than hiding c
    imp = result["importance"]
    names = imp["columns"]
    row = imp["importance"][names.index("b")]
    assert row[names.index("a")] > 0.3 > row[names.index("c")]
    assert imp["top"]["b"][0] == "a"


def test_explain_writes_json_figures_and_a_report_section(run, engine, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(run / "out", out)
    result = explain(out, data=run / "planted.csv", model=run / "model", engine=engine)
    written = json.loads((out / "explain.json").read_text())
    assert written["generator"] == "finance"
    figures = written["figures"]
    assert [f["data"][0]["type"] for f in figures["dependencies"]] == ["heatmap"] * 3
    assert figures["importance"][1]["data"][0]["type"] == "bar"
    assert figures["likelihood"][0]["layout"]["xaxis"]["title"]["text"].startswith("log-likelihood")
    lik = written["likelihood"]
    assert len(lik["log_likelihood"]) == 300 and lik["against"] == "holdout"
    assert all(lik["log_likelihood"][i] < lik["threshold"] for i in lik["outliers"])
    report = json.loads((out / "report.json").read_text())
    assert report["explain"]["dependencies"]["largest_misses_text"] == result["dependencies"]["largest_misses_text"]
    page = (out / "report.html").read_text()
    assert "What the model learned" in page and "Largest misses" in page
    assert "What the model learned" in (out / "explain.html").read_text()


def test_without_the_model_only_the_model_free_parts_are_shown(run, engine, tmp_path):
    before = (run / "out" / "report.json").read_text()
    result = explain(run / "out", data=run / "planted.csv", out=tmp_path / "elsewhere", engine=engine)
    assert "importance" not in result and "likelihood" not in result
    assert "pass --model BUNDLE" in result["model_note"]
    assert (tmp_path / "elsewhere" / "explain.json").is_file()
    assert (run / "out" / "report.json").read_text() == before  # --out elsewhere leaves the output alone


def test_hostile_column_names_reach_the_pages_as_text(run, engine, tmp_path):
    import shutil

    shutil.copytree(run / "out", tmp_path / "out")
    explain(tmp_path / "out", data=run / "planted.csv", model=run / "model", engine=engine)
    for name in ("explain.html", "report.html"):
        page = (tmp_path / "out" / name).read_text()
        assert HOSTILE not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the section's text
        assert '"&lt;img src=x onerror=alert(1)\\u003e"' in page  # a figure's axis label


def test_a_bundle_is_sampled_through_the_gate_then_explained(run, engine, tmp_path):
    result = explain(run / "model", data=run / "planted.csv", out=tmp_path / "sampled", rows=100, engine=engine)
    assert result["records"]["synthetic"] == 100
    assert {"synthetic.parquet", "rejected.parquet", "report.json", "explain.json"} <= {
        p.name for p in (tmp_path / "sampled").iterdir()}
    assert "model: the given bundle" in result["notes"]
    assert result["importance"]["top"]["b"][0] == "a"


def test_near_copies_are_explained_by_column_names_never_by_values():
    train = sg.Table.from_frame(pd.DataFrame({
        "age": [23, 35, 47, 59, 61, 72], "income": [1.5e4, 2.2e4, 3.1e4, 4.4e4, 5.0e4, 6.3e4],
        "city": ["Ulm", "Graz", "Lyon", "Oslo", "Bern", "Gent"]}))
    copy = train.frame.iloc[[2]].assign(city="Kiel")  # Lyon's record, another city
    rejected = pd.concat([copy, train.frame.iloc[[4]]], ignore_index=True).assign(
        _stage="privacy", _checks=["core.near-copy", "core.k-anonymity"], _reason="...")
    out = near_copy_columns(rejected, train, quasi_identifiers=["age", "city"])
    first, second = out["records"]
    assert first["matching_columns"] == ["age", "income"] and first["differing_columns"] == ["city"]
    assert second["matching_columns"] == ["age", "city"]  # k-anonymity: its quasi-identifiers
    assert out["column_counts"] == {"age": 1, "income": 1}
    text = json.dumps(out)
    assert not any(value in text for value in ("Lyon", "Kiel", "47", "31000"))


def test_bad_input_is_one_error_line_and_writes_nothing(cli, tmp_path):
    missing = cli("explain", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("error:") and len(missing.stderr.strip().splitlines()) == 1
    assert "nope" in missing.stderr and "expected an output directory" in missing.stderr
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("hello")
    other = cli("explain", str(tmp_path / "notes"))
    assert other.returncode == 2 and other.stderr.startswith("error:") and "report.json" in other.stderr
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["a.txt"]


def test_the_finance_scores_are_log_probabilities_that_sum_to_one(engine):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"colour": rng.choice(["red", "blue", "green"], 200), "size": rng.choice(["S", "L"], 200)})
    model = engine.fit("finance", frame, config={**TINY, "epochs": 3}, value_protection=False)
    every = pd.DataFrame([(c, s) for c in ("red", "blue", "green") for s in ("S", "L")], columns=["colour", "size"])
    # one column order: the chain rule gives a distribution over all six records
    assert np.exp(model.log_likelihood(every, orders=1)).sum() == pytest.approx(1, abs=1e-4)
    given = model.conditional_log_prob(every, "colour")  # p(colour | size): sums to 1 for each size
    assert np.exp(given[every["size"] == "S"]).sum() == pytest.approx(1, abs=1e-4)
    unseen = model.log_likelihood(pd.DataFrame({"colour": ["purple", "red"], "size": ["S", "S"]}))
    assert np.isnan(unseen[0]) and np.isfinite(unseen[1])  # a value the model never saw is not scored


def test_a_csv_output_is_read_back_with_its_formula_guard_taken_off(engine, tmp_path):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=150).round(4), "y": rng.normal(size=150).round(4),
                          "-tag": rng.choice(["=A", "B"], 150)})
    frame.to_csv(tmp_path / "real.csv", index=False)
    engine.generate("finance", rows=50, data=tmp_path / "real.csv", config={**TINY, "epochs": 2}, fmt="csv",
                    out=tmp_path / "out", options={"audit": False})
    assert "'-tag" in (tmp_path / "out" / "synthetic.csv").read_text()
    result = explain(tmp_path / "out", data=tmp_path / "real.csv", out=tmp_path / "ex", engine=engine)
    assert result["dependencies"]["columns"] == ["x", "y", "-tag"]
    from synthguard.explain.inputs import from_output

    assert set(from_output(engine, tmp_path / "out", data=tmp_path / "real.csv").synthetic.frame["-tag"]) <= {"=A", "B"}
