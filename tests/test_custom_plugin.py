"""A third-party plugin, pip-installed, is discovered and used with no change to SynthGuard."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.testing import check_plugin, check_validator, parametrize_generator_checks

from conftest import ROOT

EXAMPLE = ROOT / "examples" / "synthguard-example-plugin"


def _load_example():
    spec = importlib.util.spec_from_file_location("synthguard_example", EXAMPLE / "synthguard_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_example()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(EXAMPLE)], check=True, capture_output=True)
    return {"PYTHONPATH": str(target)}


def test_pip_installed_plugin_shows_up(cli, installed):
    proc = cli("plugins", "--json", env=installed)
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    mine = rows["synthguard-example"]
    assert mine["distribution"] == "synthguard-example" and mine["version"] == "0.1.0"
    assert [(g["name"], g["role"]) for g in mine["generators"]] == [("example-marginals", "baseline")]
    assert mine["validators"] == ["example.adult-age"]
    assert mine["metrics"] == ["example.mean-shift"]


def test_its_generator_validator_and_metric_run_in_the_pipeline(cli, installed, tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "people.csv"
    pd.DataFrame({"age": rng.integers(10, 70, 300), "city": rng.choice(["Oslo", "Lyon"], 300)}).to_csv(data, index=False)
    out = tmp_path / "out"
    proc = cli("generate", "example-marginals", "--data", str(data), "--rows", "200", "--out", str(out), env=installed)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["validators"]["example.adult-age"]["rejected"] > 0
    assert "finance.bounds" not in report["validators"]  # domain checks stay with their domain
    assert report["metrics"]["example.mean-shift"]["columns"] == 1
    synthetic = pd.read_parquet(out / "synthetic.parquet")
    assert len(synthetic) == 200 and (synthetic["age"] >= 18).all()
    rejected = pd.read_parquet(out / "rejected.parquet")
    assert (rejected["_reason"].str.contains("age under 18") | rejected["_checks"].str.contains("exact-copy")).all()


def test_example_plugin_passes_the_contract_checks():
    check_plugin(example)
    table = sg.Table.from_frame(pd.DataFrame({"age": [15, 30, 45, 60], "city": ["a", "b", "a", "b"]}))
    ctx = sg.CheckContext(meta=table.meta, reference_hashes=table.record_hashes())
    assert list(check_validator(example.AdultAge, table, ctx).rejected) == [True, False, False, False]


TABLE = sg.Table.from_frame(pd.DataFrame({
    "age": np.arange(40) + 18, "city": ["Oslo", "Lyon"] * 20,
    "when": pd.date_range("2020-01-01", periods=40, freq="D"), "score": np.linspace(0, 1, 40),
}))


@parametrize_generator_checks(example.MarginalsGenerator, TABLE)
def test_example_generator_contract(check):
    check()
