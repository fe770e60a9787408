"""Planted canaries: a user plants made-up records 1x, 5x and 10x in training and asks whether the output gives
them away. A generator that learns repeated records by heart is refused; an honest one is not."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import synthguard as sg

from toy import Copycat


class Memoriser(Copycat):
    """Honest for records seen once (each column from a different random row); a record repeated in training is
    learnt by heart, comes back five times as often as it was seen, with a little numeric noise (past the
    near-copy gate) — what generators do to duplicated records."""

    name = "test-memoriser"
    description = "test double: memorises repeated training records"

    def _sample(self, n, *, seed, conditions):
        rng = np.random.default_rng(seed)
        rows = self.rows_
        repeated = rows.duplicated(keep=False).to_numpy()
        weight = np.where(repeated, 5.0, 1.0)
        pick = rng.choice(len(rows), size=n, p=weight / weight.sum())
        frame = rows.iloc[pick].reset_index(drop=True).copy()
        mixed = ~repeated[pick]
        for col in frame.columns:  # records seen once: every column from an independent random row
            donors = rows[col].iloc[rng.integers(0, len(rows), n)].reset_index(drop=True)
            frame.loc[mixed, col] = donors[mixed]
        for col in [c.name for c in self.meta_.columns if c.kind is sg.ColumnKind.numeric and not c.nullable]:
            frame[col] = frame[col].astype("float64")
            frame.loc[~mixed, col] += rng.normal(0, 0.25 * float(rows[col].std()), int((~mixed).sum()))
        return sg.Table(frame, self.meta_)


memoriser_plugin = types.ModuleType("memoriser_plugin")
memoriser_plugin.register_generators = sg.hookimpl(lambda register: register(Memoriser))


@pytest.fixture(scope="module")
def credit():
    return sg.Engine().dataset("credit_data").load().frame.iloc[:1500].reset_index(drop=True)


@pytest.fixture(scope="module")
def canaries(credit):
    """Three made-up applicants from common values (value protection keeps them), planted 1x, 5x and 10x."""
    rows = credit.iloc[[3, 50, 700]].copy()
    rows["Income"] = [int(credit["Income"].median()) + 1, int(credit["Income"].quantile(0.3)) + 1,
                      int(credit["Income"].quantile(0.7)) + 1]
    rows["Seniority"] = [int(v) for v in credit["Seniority"].quantile([0.2, 0.5, 0.8])]
    rows["copies"] = [1, 5, 10]
    return rows.reset_index(drop=True)


def test_a_generator_that_memorises_repeated_records_is_refused_once_canaries_are_planted(credit, canaries, tmp_path):
    engine = sg.Engine(plugins=[memoriser_plugin])
    out = tmp_path / "out"
    with pytest.raises(sg.ReleaseRefused, match="planted canaries leaked") as err:
        engine.generate("test-memoriser", 300, data=credit, canaries=canaries, out=out)
    assert "--epsilon" in str(err.value) and "--override-audit REASON" in str(err.value)
    assert not out.exists()


def test_each_canary_is_reported_once_however_often_it_was_planted(credit, canaries):
    engine = sg.Engine(plugins=[memoriser_plugin])
    result = engine.generate("test-memoriser", 300, data=credit, canaries=canaries,
                             options={"override_audit": "test: read the canary report"})
    report = result.report["audit"]["canaries"]
    assert [c["copies"] for c in report["per_canary"]] == [1, 5, 10]  # three people, not sixteen rows
    assert report["unit"] == result.report["audit"]["unit"] == "record"  # a table without --entity-column
    assert result.report["lineage"]["canaries"] == {"canaries": 3, "copies": [1, 5, 10], "rows": 16}
    assert [c["flagged"] for c in report["per_canary"]][1:] == [True, True]  # the repeated ones leak
    assert report["figure"]["verdict"] == "fail" and result.report["release"]["decision"] == "fail"
    assert all("Income" not in json.dumps(c) for c in report["per_canary"])  # no canary's values in the report


def test_without_canaries_the_same_generator_passes_its_audit(credit):
    """What wave 1 saw: the average attack does not see a leak confined to a few repeated records."""
    result = sg.Engine(plugins=[memoriser_plugin]).generate("test-memoriser", 300, data=credit)
    assert result.report["release"]["decision"] in ("pass", "cannot tell")


def test_an_honest_generator_keeps_its_canaries(credit, canaries, tmp_path):
    result = sg.Engine().generate("finance-gaussian-copula", 300, data=credit, canaries=canaries, out=tmp_path / "out")
    report = result.report["audit"]["canaries"]
    assert not any(c["flagged"] for c in report["per_canary"])
    assert report["figure"]["verdict"] == "pass" and result.report["release"]["decision"] != "fail"
    assert (tmp_path / "out" / "synthetic.parquet").exists()


def _cli(*args: str) -> subprocess.CompletedProcess:
    """``synthguard ARGS`` with the memoriser installed, as a user's shell runs it."""
    here = Path(__file__).parent
    script = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import synthguard as sg, synthguard.cli as cli, "
              "test_canaries as t; cli.Engine = lambda: sg.Engine(plugins=[t.memoriser_plugin]); "
              "sys.argv[0] = 'synthguard'; cli.run()")
    return subprocess.run([sys.executable, "-c", script, str(here), *args], capture_output=True, text=True)


def test_the_command_line_refuses_with_exit_3_and_writes_nothing(credit, canaries, tmp_path):
    credit.to_csv(tmp_path / "credit.csv", index=False)
    canaries.to_csv(tmp_path / "canaries.csv", index=False)
    proc = _cli("generate", "test-memoriser", "--data", str(tmp_path / "credit.csv"), "--canaries",
                str(tmp_path / "canaries.csv"), "--rows", "300", "--out", str(tmp_path / "out"))
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: privacy audit failed, nothing written")
    assert "planted canaries leaked" in lines[0] and not (tmp_path / "out").exists()


@pytest.mark.parametrize("change, expected", [
    (lambda c: c.drop(columns="Income"), "columns differ from the training data's: missing ['Income']"),
    (lambda c: c.assign(copies=0), "column 'copies': expected a whole number from 1 to 1000"),
    (lambda c: c.assign(Home="castle"), "column 'Home' has 3 value(s) the training data does not"),
])
def test_a_bad_canaries_file_is_one_error_before_training(credit, canaries, tmp_path, change, expected):
    change(canaries).to_csv(tmp_path / "canaries.csv", index=False)
    engine = sg.Engine(plugins=[memoriser_plugin])
    with pytest.raises(sg.DataError, match="canaries file 'canaries.csv'") as err:
        engine.generate("test-memoriser", 300, data=credit, canaries=tmp_path / "canaries.csv", out=tmp_path / "out")
    assert expected in str(err.value) and not (tmp_path / "out").exists()


def test_the_command_line_names_a_bad_canaries_file_with_exit_2(credit, canaries, tmp_path):
    credit.to_csv(tmp_path / "credit.csv", index=False)
    canaries.assign(copies=-1).to_csv(tmp_path / "canaries.csv", index=False)
    proc = _cli("generate", "test-memoriser", "--data", str(tmp_path / "credit.csv"), "--canaries",
                str(tmp_path / "canaries.csv"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == ("error: canaries file 'canaries.csv' column 'copies': expected a whole number "
                                   "from 1 to 1000 in every row")
    assert not (tmp_path / "out").exists()


def test_audit_checks_canaries_in_any_pair_and_names_one_missing_from_training(credit, canaries, tmp_path):
    """``synthguard audit --canaries``: canaries a user planted in the data another tool was trained on."""
    train, holdout = credit.iloc[:1200], credit.iloc[1200:]
    planted = pd.concat([train, canaries.loc[canaries.index.repeat(canaries["copies"])].drop(columns="copies")])
    for name, frame in (("real", planted), ("holdout", holdout), ("canaries", canaries),
                        ("synthetic", pd.concat([train.iloc[:280], canaries.iloc[[2]].drop(columns="copies")]))):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    pair = ["audit", "--real", str(tmp_path / "real.csv"), "--synthetic", str(tmp_path / "synthetic.csv"),
            "--holdout", str(tmp_path / "holdout.csv"), "--canaries", str(tmp_path / "canaries.csv")]
    proc = _cli(*pair, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["canaries"]["per_canary"]
    assert [r["reproduced"] for r in rows][2] == "exact copy" and rows[2]["copies"] == 10

    with pytest.raises(sg.DataError, match=r"canary row\(s\) \[0, 1, 2\] are not in the training data"):
        sg.Engine().audit(train, tmp_path / "synthetic.csv", holdout=holdout, canaries=canaries)  # never planted
