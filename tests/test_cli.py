"""What a user does at the shell, and what they get."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import synthguard as sg


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def loans_csv(tmp_path_factory):
    """300 real rows of credit_data (with its missing values) written as a user's CSV."""
    frame = sg.Engine().dataset("credit_data").load().frame.iloc[:300]
    path = tmp_path_factory.mktemp("data") / "loans.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("collecting", [True, False])
def test_importing_synthguard_leaves_the_garbage_collector_as_it_found_it(collecting):
    """The package pauses the collector while it imports torch, pandas and scipy (faster), then puts it back."""
    code = f"import gc; {'' if collecting else 'gc.disable(); '}import synthguard; print(gc.isenabled())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(collecting)


def test_main_job_uses_the_pretrained_bundle(cli, tmp_path):
    out = tmp_path / "out"
    proc = cli("generate", "finance", "--rows", "1000", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote 1000 records" in proc.stdout and "pretrained" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["rejected.parquet", "report.html", "report.json", "synthetic.parquet"]
    data = pd.read_parquet(out / "synthetic.parquet")
    real = sg.Engine().dataset("german_credit").load().frame
    assert len(data) == 1000 and list(data.columns) == list(real.columns)
    assert set(data["purpose"]) <= set(real["purpose"])
    report = json.loads((out / "report.json").read_text())
    assert report["rows"] == 1000 and report["seed"] == 0 and report["lineage"]["pretrained"] is True
    shipped = sg.Engine().dataset("german_credit").bundles()["finance"]
    assert report["generator"]["bundle_sha256"] == json.loads((shipped / "manifest.json").read_text())["bundle_sha256"]
    rejected = pd.read_parquet(out / "rejected.parquet")  # every rejected record, naming its stage, checks and reason
    assert report["sampling"]["rejected"] == len(rejected) and "core.exact-copy" in report["privacy"]
    assert rejected["_reason"].str.len().gt(0).all()
    named = rejected["_checks"].str.split(",")
    sections = {"validator": report["validators"], "privacy": report["privacy"]}
    assert all(set(checks) <= set(sections[stage]) for stage, checks in zip(rejected["_stage"], named))
    for section in sections.values():  # each check's count in report.json is the rows that name it
        assert all(info["rejected"] == sum(name in checks for checks in named) for name, info in section.items())
    assert {"finance.bounds", "finance.pii", "core.finite"} <= set(report["validators"])
    assert report["timings"]["sample_seconds"] > 0


def test_fit_once_sample_many_is_bit_for_bit_reproducible(cli, tmp_path, loans_csv):
    for name in ("m1", "m2"):
        proc = cli("fit", "finance", "--data", str(loans_csv), "--out", str(tmp_path / name), "--epochs", "2",
                   "--seed", "7", "--device", "cpu")
        assert proc.returncode == 0, proc.stderr
    m1, m2 = (json.loads((tmp_path / n / "manifest.json").read_text()) for n in ("m1", "m2"))
    assert m1["files"] == m2["files"] and m1["fit"]["seed"] == 7 and m1["fit"]["epochs_run"] == 2
    assert m1["fit"]["device"] == "cpu" and m1["fit"]["seconds"] > 0
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        proc = cli("sample", str(tmp_path / "m1"), "--rows", "50", "--seed", seed, "--out", str(tmp_path / name))
        assert proc.returncode == 0, proc.stderr
    assert sha(tmp_path / "a" / "synthetic.parquet") == sha(tmp_path / "b" / "synthetic.parquet")
    assert sha(tmp_path / "a" / "synthetic.parquet") != sha(tmp_path / "c" / "synthetic.parquet")
    sample = pd.read_parquet(tmp_path / "a" / "synthetic.parquet")
    real = pd.read_csv(loans_csv)
    assert list(sample.columns) == list(real.columns) and sample["Income"].isna().any() == real["Income"].isna().any()


def test_conditional_sampling_fixes_the_column(cli, tmp_path, loans_csv):
    proc = cli("generate", "finance", "--data", str(loans_csv), "--rows", "40", "--epochs", "2",
               "--condition", "Home=owner", "--condition", "Age=30", "--out", str(tmp_path / "o"), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    out = pd.read_csv(tmp_path / "o" / "synthetic.csv")
    assert len(out) == 40 and (out["Home"] == "owner").all() and (out["Age"] == 30).all()
    assert json.loads((tmp_path / "o" / "report.json").read_text())["conditions"] == {"Home": "owner", "Age": 30}


def test_datasets_lists_real_sources_and_licences(cli):
    proc = cli("datasets", "--json")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["german_credit"]["pretrained"] == ["finance"]
    assert "UCI" in rows["german_credit"]["source"] and rows["credit_data"]["licence"].startswith("MIT")


def _write(tmp_path, name, frame=None, raw: bytes | None = None):
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
    else:
        frame.to_csv(path, index=False)
    return str(path)


BAD_INPUTS = {
    "missing file": (lambda t: ["--data", str(t / "nope.csv")], "data file '.*nope.csv' not found"),
    "unknown dataset": (lambda t: ["--dataset", "nope"], "unknown dataset 'nope'"),
    "empty table": (lambda t: ["--data", _write(t, "e.csv", raw=b"a,b\n")], "table 'e' is empty"),
    "all-NaN column": (lambda t: ["--data", _write(t, "n.csv", pd.DataFrame({"a": [1, 2], "b": [None, None]}))],
                       "column 'b' is entirely missing"),
    "non-UTF-8 CSV": (lambda t: ["--data", _write(t, "l.csv", raw="name,x\nJosé,1\n".encode("latin-1"))],
                      "is not UTF-8"),
    "100k categories": (lambda t: ["--data", _write(t, "h.csv", pd.DataFrame({"id": [f"c{i}" for i in range(100_000)],
                                                                             "x": 1}))],
                        "column 'id' has 100000 distinct values"),
    "zero rows": (lambda t: ["--rows", "0"], "rows must be a positive integer"),
    "negative rows": (lambda t: ["--rows", "-5"], "rows must be a positive integer"),
    "negative seed": (lambda t: ["--seed", "-1"], "seed must be a non-negative integer: got -1"),
    "unknown condition column": (lambda t: ["--condition", "nope=1"], "unknown column 'nope'"),
    "unknown condition value": (lambda t: ["--condition", "purpose=yacht"], "value 'yacht' is unknown in column 'purpose'"),
    "malformed condition": (lambda t: ["--condition", "purpose"], "expected NAME=VALUE"),
    "bad rule": (lambda t: ["--rule", "credit_amount <= nope"], "unknown column 'nope'"),
    "unknown quasi-identifier": (lambda t: ["--quasi-identifiers", "age_in_years,zip"], "unknown column 'zip'"),
    "non-positive epsilon": (lambda t: ["--epsilon", "0"], "option 'epsilon': Input should be greater than 0"),
    "delta above 1/n": (lambda t: ["--epsilon", "1", "--delta", "0.5"], "delta 0.5 is not below 1/n"),
    "no privacy filters without DP": (lambda t: ["--no-privacy-filters"],
                                      "--no-privacy-filters needs a differentially private model"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_clear_line_and_no_output(cli, tmp_path, case):
    extra, message = BAD_INPUTS[case]
    out = tmp_path / "out"
    args = ["generate", "finance", "--out", str(out), "--epochs", "1", *extra(tmp_path)]
    if "--rows" not in args:
        args += ["--rows", "5"]
    proc = cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    import re
    assert re.search(message, lines[0]), lines[0]
    assert not out.exists()


def test_unwritable_output_fails_before_any_work(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = cli("generate", "finance", "--rows", "5", "--out", str(blocker / "out"))
    assert proc.returncode == 2 and "cannot be created" in proc.stderr


def test_a_tampered_bundle_is_refused(cli, tmp_path, loans_csv):
    assert cli("fit", "finance", "--data", str(loans_csv), "--out", str(tmp_path / "m"), "--epochs", "1").returncode == 0
    weights = tmp_path / "m" / "weights.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-1] ^= 0xFF
    weights.write_bytes(bytes(raw))
    proc = cli("sample", str(tmp_path / "m"), "--rows", "5", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "fails its sha256 check" in proc.stderr and not (tmp_path / "o").exists()


def test_a_constant_column_stays_constant(tmp_path):
    frame = pd.DataFrame({"currency": ["EUR"] * 60, "amount": np.arange(60) * 10.0, "kind": ["a", "b", "c"] * 20})
    result = sg.generate("finance", 30, data=frame, epochs=1)
    assert (result.data["currency"] == "EUR").all()


def test_parquet_input_and_generator_settings(cli, tmp_path, loans_csv):
    data = tmp_path / "loans.parquet"
    pd.read_csv(loans_csv).to_parquet(data)
    proc = cli("generate", "finance", "--data", str(data), "--rows", "20", "--epochs", "1",
               "--set", "d_model=32", "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert "CANNOT TELL" in proc.stdout and "non-members" in proc.stdout  # 60 held-out rows: too few to judge, said so
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["generator"]["config"]["d_model"] == 32 and report["lineage"]["data_source"]["source"] == "file:parquet"
    proc = cli("generate", "finance", "--data", str(data), "--rows", "5", "--set", "wings=2", "--out", str(tmp_path / "p"))
    assert proc.returncode == 2 and "unknown option 'wings': expected one of " in proc.stderr and "d_model" in proc.stderr


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error(cli, tmp_path):
    proc = cli("generate", "finance", "--rows", "5", "--epochs", "1", "--device", "cuda", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "no CUDA GPU" in proc.stderr and not (tmp_path / "o").exists()


def test_baseline_generator_cannot_be_saved_but_generates(cli, tmp_path):
    proc = cli("fit", "finance-gaussian-copula", "--dataset", "german_credit", "--out", str(tmp_path / "m"))
    assert proc.returncode == 2 and "cannot be saved" in proc.stderr and not (tmp_path / "m").exists()
    proc = cli("generate", "finance-gaussian-copula", "--rows", "50", "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "o" / "report.json").read_text())["generator"]["bundle_sha256"] is None


def test_audit_scores_any_synthetic_table_against_its_training_data(cli, tmp_path):
    """An SDV-style workflow: the user has train/holdout CSVs and some tool's output; here the 'tool' leaks."""
    real = sg.Engine().dataset("credit_data").load().frame.iloc[:1500]
    train, holdout = real.iloc[:1000], real.iloc[1000:]
    leaky = train.iloc[:500]  # half the training rows, verbatim
    paths = {}
    for name, frame in {"train": train, "holdout": holdout, "leaky": leaky}.items():
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    proc = cli("audit", "--real", str(paths["train"]), "--synthetic", str(paths["leaky"]),
               "--holdout", str(paths["holdout"]), "--json")
    assert proc.returncode == 0, proc.stderr
    audit = json.loads(proc.stdout)
    assert audit["exact_copies"]["count"] == 500 and audit["exact_copies"]["share"] == 1.0
    mia = audit["membership_inference"]
    assert mia["worst_auc"] > 0.7 and mia["valid"] and audit["release"]["decision"] == "fail"
    assert audit["wp29"]["linkability"]["risk"] > 0.3
    proc = cli("audit", "--real", str(paths["train"]), "--synthetic", str(paths["leaky"]))
    # without a holdout only the copies can be judged; 500 of 500 is far beyond a 1% chance rate
    assert proc.returncode == 0 and "500 exact copies" in proc.stdout and "FAILS its targets" in proc.stdout


def test_evaluate_writes_a_report_for_any_pair(cli, tmp_path):
    real = sg.Engine().dataset("credit_data").load().frame.iloc[:1200]
    paths = {name: tmp_path / f"{name}.csv" for name in ("train", "holdout", "other")}
    real.iloc[:600].to_csv(paths["train"], index=False)
    real.iloc[600:900].to_csv(paths["holdout"], index=False)
    real.iloc[900:].to_csv(paths["other"], index=False)  # real records neither saw: an ideal generator's output
    out = tmp_path / "eval"
    proc = cli("evaluate", "--real", str(paths["train"]), "--synthetic", str(paths["other"]), "--holdout",
               str(paths["holdout"]), "--target", "Status", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["metrics"]["core.quality"]["score"] > 0.8 and 0.85 < report["metrics"]["core.tstr"]["ratio"] < 1.15
    assert report["audit"]["membership_inference"]["valid"]
    assert "Membership inference" in (out / "report.html").read_text()
    bad = tmp_path / "bad.csv"
    real.iloc[:50].drop(columns=["Income"]).to_csv(bad, index=False)
    proc = cli("evaluate", "--real", str(paths["train"]), "--synthetic", str(bad))
    assert proc.returncode == 2 and "missing ['Income']" in proc.stderr


@pytest.mark.parametrize("rows", ["0", "-3"])
def test_sampling_a_bundle_checks_rows_like_generate(cli, tmp_path, rows):
    shipped = sg.Engine().dataset("german_credit").bundles()["finance"]
    proc = cli("sample", str(shipped), "--rows", rows, "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: rows must be a positive integer: got {rows}"
    assert not (tmp_path / "o").exists()
