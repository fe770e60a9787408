"""Hostile input (issue 24): no script in report.html, no formula in a CSV, no forged bundle trusted."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.bundle import bundle_hash
from synthguard.quality.html import render_html

from toy import toy_plugin

XSS_EPS = "<script>alert('xss-eps')</script>"
XSS_STEPS = "<img src=x onerror=alert('xss-steps')>"
HOSTILE_NAME = "</script><script>alert('col')</script>"
HOSTILE_VALUE = "<img src=x onerror=alert('cat')>"


def tags_outside_scripts(page: str) -> list[str]:
    """Every start tag of the page outside the <script> blocks (plotly.js and the figure calls)."""
    body = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)
    return re.findall(r"<\s*([a-zA-Z][\w-]*)", body)


def script_blocks(page: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>(.*?)</script>", page, flags=re.S)


def cells(path) -> list[str]:
    import csv

    with open(path, newline="") as f:
        return [cell for row in csv.reader(f) for cell in row]


def formulas(path) -> list[str]:
    return [c for c in cells(path) if c[:1] in ("=", "+", "@") or re.match(r"-[^\d.]", c)]


def rehash(path) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["bundle_sha256"] = bundle_hash(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture
def hostile_frame(mixed_frame):
    frame = mixed_frame.rename(columns={"segment": HOSTILE_NAME, "income": "=HYPERLINK(\"http://x\")"})
    frame[HOSTILE_NAME] = np.where(np.arange(len(frame)) % 3 == 0, HOSTILE_VALUE, frame[HOSTILE_NAME])
    frame["note"] = np.where(np.arange(len(frame)) % 2 == 0, "=cmd|' /C calc'!A0", "@SUM(1+1)")
    return frame


def test_a_hostile_bundle_and_dataset_put_no_tag_on_the_page(tmp_path, hostile_frame):
    engine = sg.Engine(plugins=[toy_plugin])
    model = engine.fit("test-copycat", hostile_frame, seed=1)
    model.fit_info_["privacy"] = {"dp": {"mechanism": XSS_STEPS, "epsilon_spent": 0.5, "delta": 1e-5,
                                         "accountant": XSS_EPS, "steps": XSS_STEPS, "epsilon_target": XSS_EPS}}
    model.fit_info_["source"] = {"source": "</script><b>file.csv</b>"}
    result = engine.sample(model, 60, seed=2, reference=hostile_frame,
                           options={"override_audit": "<b>reason</b>", "rules": []})
    result.report["privacy_ledger"] = {"dp": model.fit_info_["privacy"]["dp"], "non_private": [XSS_EPS]}
    result.report["metrics"]["plugin.<i>x</i>"] = {"figures": [{"title": XSS_STEPS, "data": [
        {"type": "bar", "x": [HOSTILE_VALUE], "y": [1], "name": XSS_EPS}]}]}
    page = render_html(json.loads(json.dumps(result.report, default=str)))
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "code", "div", "b", "span",
               "table", "tr", "th", "td", "ul", "li", "pre", "q", "br"}
    assert set(tags_outside_scripts(page)) <= allowed  # no <img>, <i>, <script> from the data
    assert "&lt;script&gt;alert(&#39;xss-eps&#39;)&lt;/script&gt;" in page  # shown, as text
    assert "&lt;img src=x onerror=alert(&#39;xss-steps&#39;)&gt;" in page
    assert "xss-eps" in page and "cat" in page
    figures = script_blocks(page)[1:]  # after plotly.js itself: the figures' embedded JSON
    assert len(figures) >= 3
    for block in figures:  # it cannot close its block or open a tag
        assert "<script" not in block and "<img" not in block and "</" not in block


def test_report_of_a_bundle_with_a_hostile_dp_claim_is_refused_or_escaped(tmp_path, mixed_frame):
    """The issue's bundle: <script> as ε and <img onerror> as steps, re-hashed — refused with one line."""
    engine = sg.Engine(plugins=[toy_plugin])
    engine.fit("test-copycat", mixed_frame, seed=1).save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    manifest["fit"]["privacy"] = {"dp": {"mechanism": "DP-SGD", "epsilon_spent": XSS_EPS, "delta": 1e-5,
                                         "accountant": "rdp", "steps": XSS_STEPS}}
    (tmp_path / "m" / "manifest.json").write_text(json.dumps(manifest))
    rehash(tmp_path / "m")
    with pytest.raises(sg.BundleError, match=r"field 'fit.privacy.dp.epsilon_spent' is wrong"):
        engine.load(tmp_path / "m")


def test_csv_cells_that_spreadsheets_run_are_neutralised_numbers_are_not(tmp_path, hostile_frame):
    engine = sg.Engine(plugins=[toy_plugin])
    model = engine.fit("test-copycat", hostile_frame, seed=1)
    engine.sample(model, 60, seed=2, out=tmp_path / "o", fmt="csv", options={"audit": False})
    frame = pd.read_csv(tmp_path / "o" / "synthetic.csv")
    assert "'=HYPERLINK(\"http://x\")" in frame.columns  # a header is a cell too
    assert set(frame["note"]) <= {"'=cmd|' /C calc'!A0", "'@SUM(1+1)"}
    assert formulas(tmp_path / "o" / "synthetic.csv") == []  # no cell starts a formula
    assert frame["age"].dtype.kind in "iu"  # numeric columns untouched


def test_negative_numbers_stay_numbers_and_raw_csv_keeps_cells(tmp_path):
    from synthguard.io.writers import raw_csv, write_frame

    frame = pd.DataFrame({"n": [-1.5, 2.0], "code": ["-12", "-1+2"], "t": ["+x", "plain"]})
    write_frame(frame, tmp_path / "a", "csv")
    assert (tmp_path / "a.csv").read_text().splitlines() == ["n,code,t", "-1.5,-12,'+x", "2.0,'-1+2,plain"]
    with raw_csv():
        write_frame(frame, tmp_path / "b", "csv")
    assert (tmp_path / "b.csv").read_text().splitlines() == ["n,code,t", "-1.5,-12,+x", "2.0,-1+2,plain"]


def run_in_process(monkeypatch, *args):
    """``synthguard ARGS`` in this process, its engine holding the test plugin (the toy generator)."""
    from click.testing import CliRunner
    from synthguard import cli

    monkeypatch.setattr(cli, "Engine", lambda: sg.Engine(plugins=[toy_plugin]))
    return CliRunner().invoke(cli.main, list(args), standalone_mode=False, catch_exceptions=True)


def test_raw_csv_flag_keeps_cells_for_that_command_only(tmp_path, hostile_frame, monkeypatch):
    sg.Engine(plugins=[toy_plugin]).fit("test-copycat", hostile_frame, seed=1).save(tmp_path / "m")
    common = ["--rows", "30", "--format", "csv", "--no-audit", "--seed", "3"]
    raw = run_in_process(monkeypatch, "sample", str(tmp_path / "m"), "--out", str(tmp_path / "raw"), "--raw-csv", *common)
    safe = run_in_process(monkeypatch, "sample", str(tmp_path / "m"), "--out", str(tmp_path / "safe"), *common)
    assert raw.exception is None and safe.exception is None, (raw.output, safe.output)
    raw_cells, safe_cells = (cells(tmp_path / d / "synthetic.csv") for d in ("raw", "safe"))
    assert '=HYPERLINK("http://x")' in raw_cells and formulas(tmp_path / "raw" / "synthetic.csv")
    assert formulas(tmp_path / "safe" / "synthetic.csv") == []
    assert [c.removeprefix("'") for c in safe_cells] == raw_cells  # the same cells, only prefixed


def test_user_columns_named_like_the_reason_columns_survive_in_rejected(tmp_path, mixed_frame):
    frame = mixed_frame.assign(_stage="mine", _reason="also mine")
    engine = sg.Engine(plugins=[toy_plugin])
    model = engine.fit("test-copycat", frame, seed=1, config={"copy_share": 0.5})
    engine.sample(model, 40, seed=2, out=tmp_path / "o", fmt="csv", options={"audit": False})
    rejected = pd.read_csv(tmp_path / "o" / "rejected.csv")
    assert len(rejected) and set(rejected["_stage"]) == {"mine"} and set(rejected["_reason"]) == {"also mine"}
    assert set(rejected["_synthguard_stage"]) <= {"validator", "privacy"} and rejected["_synthguard_reason"].notna().all()


@pytest.mark.parametrize("content, message", [
    ("{not json", "is corrupt: expected JSON"),
    ("[1, 2]", "holds a JSON list: expected an object"),
])
def test_report_command_with_a_corrupt_report_json_says_one_line(tmp_path, cli, content, message):
    (tmp_path / "report.json").write_text(content)
    proc = cli("report", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and message in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "report.html").exists()


def test_a_report_json_of_the_wrong_shape_still_renders(tmp_path):
    page = render_html({"generator": [], "metrics": {"core.quality": "x"}, "audit": [], "privacy_ledger": "dp",
                        "validators": {"<b>v</b>": {"rejected": 1}}})
    assert "&lt;b&gt;v&lt;/b&gt;" in page and "<b>v</b>" not in page
