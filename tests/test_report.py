"""Every run measures itself: holdout split, quality, utility, plots — in report.json and report.html."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.data import holdout_split
from synthguard.quality import TSTRMetric

from toy import toy_plugin


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = sg.Engine().generate("finance", 500, out=out)
    return result, out


def test_generate_holds_out_real_records_the_model_never_saw(main_job):
    result, _ = main_job
    real = sg.Engine().dataset("german_credit").load()
    train, holdout = holdout_split(real, 0.2, seed=0)
    assert result.report["data"] == {"training_records": 800, "holdout_records": 200, "target": "creditability",
                                     "unit": "record", "training_units": 800, "holdout_units": 200}
    model = sg.load(sg.Engine().dataset("german_credit").bundles()["finance"])
    assert not set(holdout.record_hashes()) & set(model.reference_hashes_)
    assert model.fit_info_["source_fingerprint"] == train.fingerprint()  # trained on value-protected records of it
    assert model.fit_info_["value_protection"]["rows"] == 800
    assert result.report["privacy"]["core.exact-copy"]["holdout_records_known"] == 200
    near = result.report["privacy"]["core.near-copy"]
    assert near["applied"] and near["rejected"] < 0.05 * result.report["sampling"]["sampled"]
    dcr = result.report["audit"]["dcr"]
    assert 0.3 < dcr["share_closer_to_train"] < 0.7 and dcr["train_sample"] == 200


def test_every_generate_carries_the_privacy_audit(main_job):
    report = main_job[0].report
    mia = report["audit"]["membership_inference"]
    assert mia["valid"] and mia["members"] == mia["non_members"] == 200  # every holdout record scored, as many members
    assert report["release"]["decision"] in ("pass", "cannot tell") and report["release"]["override"] is None
    assert mia["controls"]["exact-copy"]["worst_auc"] > 0.95 > mia["worst_auc"]
    assert set(report["audit"]["wp29"]) >= {"singling_out", "linkability", "inference"}
    k = report["privacy"]["core.k-anonymity"]
    assert k["applied"] and k["quasi_identifiers"] == ["age_in_years", "personal_status_and_sex", "job", "foreign_worker"]
    assert report["audit"]["quasi_identifiers"]["unique_in_output_and_rare_in_real"] == 0  # the gate saw to it
    assert report["privacy_ledger"]["dp"] is None and report["privacy_ledger"]["non_private"]


def test_report_has_quality_with_its_ceiling_and_utility(main_job):
    metrics = main_job[0].report["metrics"]
    q = metrics["core.quality"]
    assert 0.8 < q["score"] <= 1 and 0.8 < q["ceiling"] <= 1
    assert set(q["columns"]) == set(main_job[0].data.columns)
    t = metrics["core.tstr"]
    assert t["task"] == "binary" and t["metric"] == "roc_auc" and t["holdout_records"] == 200
    assert 0.6 < t["trtr"] <= 1 and 0.5 < t["tstr"] <= 1 and t["ratio"] == pytest.approx(t["tstr"] / t["trtr"], abs=1e-3)
    d = metrics["core.distributions"]
    assert sum(d["columns"]["credit_amount"]["real"]) == pytest.approx(1, abs=0.02)
    assert d["correlation"]["columns"] and 0 <= d["correlation"]["mean_abs_difference"] < 1


def test_html_report_is_self_contained_and_re_renders(main_job, cli):
    _, out = main_job
    page = (out / "report.html").read_text()
    library, _, body = page.partition("</script>")  # the first script is plotly.js itself, inlined
    assert len(library) > 1_000_000 and "<script src" not in body and 'src="http' not in body  # works offline
    assert "Synthetic data report" in body and "finance.bounds" in body and "Plotly.newPlot" in body
    (out / "report.html").unlink()
    proc = cli("report", str(out))
    assert proc.returncode == 0 and (out / "report.html").read_text().count("Plotly.newPlot") >= 20


def test_report_of_a_directory_without_report_json_is_an_error(cli, tmp_path):
    proc = cli("report", str(tmp_path))
    assert proc.returncode == 2 and "report.json" in proc.stderr


def test_tstr_regression_target_and_no_target(mixed_frame):
    engine = sg.Engine(plugins=[toy_plugin])
    frame = pd.concat([mixed_frame] * 3, ignore_index=True)
    frame["income"] = frame["income"].fillna(0) * (1 + np.arange(len(frame)) % 5)
    result = engine.generate("test-copycat", 200, data=frame, target="income")
    t = result.report["metrics"]["core.tstr"]
    assert t["task"] == "regression" and t["metric"] == "r2"
    result = engine.generate("test-copycat", 50, data=frame)
    assert "skipped" in result.report["metrics"]["core.tstr"]
    with pytest.raises(sg.DataError, match="unknown column 'nope'"):
        engine.generate("test-copycat", 5, data=frame, target="nope")


def test_tstr_metric_scores_a_copy_of_real_data_like_real_data():
    real = sg.Engine().dataset("german_credit").load()
    train, holdout = holdout_split(real, 0.3, seed=1)
    ctx = sg.MetricContext(holdout=holdout, target="creditability")
    same = TSTRMetric().compute(train, train, ctx)
    assert same["tstr"] == same["trtr"] and same["ratio"] == 1.0
    shuffled = sg.Table(train.frame.assign(creditability=train.frame["creditability"].sample(frac=1, random_state=0).to_numpy()), train.meta)
    worse = TSTRMetric().compute(train, shuffled, ctx)
    assert worse["tstr"] < 0.6 < same["tstr"]  # labels detached from features: no utility left
    # TRTS: the real-trained model reads the copy's outcomes from their rows (it saw them), the shuffled ones not
    assert same["trts"] > 0.9 and 0.4 < worse["trts"] < 0.6


def test_holdout_split_is_seeded_and_validated(mixed_frame):
    table = sg.Table.from_frame(mixed_frame)
    a, b = holdout_split(table, 0.25, seed=3)
    c, d = holdout_split(table, 0.25, seed=3)
    assert len(b) == 30 and (a.record_hashes() == c.record_hashes()).all() and (b.record_hashes() == d.record_hashes()).all()
    assert holdout_split(table, 0, seed=0)[1] is None
    with pytest.raises(sg.DataError, match="expected a number in"):
        holdout_split(table, 1.5)


def test_a_plugins_metric_figures_are_drawn_and_a_broken_one_does_not_break_the_page():
    from synthguard.quality.html import render_html

    line = {"title": "one panel", "data": [{"type": "scatter", "y": [1, 3, 2], "name": "real"}], "layout": {}}
    grid = {"title": "two panels", "data": [{"type": "scatter", "y": [1, 2]}, {"type": "scatter", "y": [2, 1], "xaxis": "x2"}],
            "layout": {"xaxis2": {"domain": [0.55, 1]}, "xaxis": {"domain": [0, 0.45]}}}
    broken = {"title": "broken", "data": [{"type": "no-such-trace"}]}
    report = {"rows": 3, "modality": "sequence", "generator": {"name": "g"},
              "metrics": {"plugin.thing": {"score": 0.25, "nested": {"a": 1}, "figures": [line, grid, broken]}}}
    page = render_html(report)
    assert "Domain metrics" in page and "plugin.thing" in page and "nested.a" in page
    assert page.count('class="plotly-graph-div"') == 2
    assert "figure broken" in page and "could not be drawn" in page


def test_long_category_names_are_short_on_the_axis_and_whole_on_hover():
    from synthguard.quality.html import render_html

    long = ["... >= 200 DM / salary assignments for at least 1 year", "... >= 200 DM / salary assignments, other"]
    column = {"kind": "categorical", "categories": long + ["none"], "real": [0.2, 0.3, 0.5],
              "synthetic": [0.25, 0.25, 0.5], "missing": {"real": 0.0, "synthetic": 0.0}}
    page = render_html({"rows": 3, "modality": "table", "generator": {"name": "g"},
                        "metrics": {"core.distributions": {"columns": {"checking": column}}}})
    decoder, start = json.JSONDecoder(), page.index("[", page.index("Plotly.newPlot("))
    bars, end = decoder.raw_decode(page, start)  # Plotly.newPlot(id, data, layout, config)
    layout, _ = decoder.raw_decode(page, page.index("{", end))
    assert [bar["x"] for bar in bars] == [[0, 1, 2]] * 2  # two names that shorten alike stay two bars
    assert all(bar["hovertext"] == long + ["none"] for bar in bars)
    assert layout["xaxis"]["ticktext"] == ["... >= 200 DM /…", "... >= 200 DM /…", "none"]
