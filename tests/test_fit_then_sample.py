"""Fit once, sample many, audited: a model fitted on a reference dataset leaves out what `generate` leaves out, and
`sample` measures, gates and audits its output against those records without being told where they are; a model
fitted on your data with a holdout is measured against it when `sample` is given the same data again."""

from __future__ import annotations

import json

import pandas as pd
import synthguard as sg

TINY = ["--epochs", "1", "--set", "d_model=16", "--set", "n_layers=1", "--set", "n_heads=2"]


def test_a_model_fitted_on_a_dataset_is_sampled_against_the_records_it_never_saw(cli, tmp_path):
    fitted = cli("fit", "finance", "--dataset", "credit_data", "--out", str(tmp_path / "model"), *TINY)
    assert fitted.returncode == 0, fitted.stderr
    assert "3563 records" in fitted.stdout and "held out 891 records (20% of credit_data)" in fitted.stdout

    sampled = cli("sample", str(tmp_path / "model"), "--rows", "300", "--out", str(tmp_path / "out"))
    assert sampled.returncode in (0, 3), sampled.stderr  # 3: the audit refused this tiny model's output
    assert "measured against reference dataset 'credit_data': its 891 held-out records" in sampled.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["data"]["training_records"] == 3563 and report["data"]["holdout_records"] == 891
    assert report["lineage"]["holdout"]["fraction"] == 0.2
    assert report["privacy"]["core.near-copy"]["applied"] and report["privacy"]["core.k-anonymity"]["applied"]
    mia = report["audit"]["membership_inference"]
    assert mia["members"] == mia["non_members"] == 891
    assert "core.tstr" in report["metrics"]  # the dataset's declared outcome, as generate uses it


def test_holdout_zero_trains_on_every_record_and_the_audit_cannot_tell(cli, tmp_path):
    fitted = cli("fit", "finance", "--dataset", "german_credit", "--holdout", "0", "--out", str(tmp_path / "m"),
                 *TINY)
    assert fitted.returncode == 0 and "1000 records" in fitted.stdout and "held out" not in fitted.stdout
    sampled = cli("sample", str(tmp_path / "m"), "--rows", "50", "--out", str(tmp_path / "o"))
    assert sampled.returncode == 0, sampled.stderr
    release = json.loads((tmp_path / "o" / "report.json").read_text())["release"]
    assert release["decision"] == "cannot tell" and "no membership audit" in release["reason"]


def test_your_own_data_given_again_as_reference_is_split_again(cli, tmp_path):
    data = tmp_path / "loans.csv"
    sg.Engine().dataset("german_credit").load().frame.head(300).to_csv(data, index=False)
    fitted = cli("fit", "finance", "--data", str(data), "--holdout", "0.2", "--out", str(tmp_path / "m"), *TINY)
    assert fitted.returncode == 0 and "held out 60 records (20% of the data)" in fitted.stdout, fitted.stderr

    sampled = cli("sample", str(tmp_path / "m"), "--rows", "100", "--reference", str(data), "--out",
                  str(tmp_path / "o"), "--override-audit", "a one-epoch model: the split is tested, not the release")
    assert sampled.returncode == 0, sampled.stderr
    assert "--reference is the data the model was fitted on with 20% held out" in sampled.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["data"]["training_records"] == 240 and report["data"]["holdout_records"] == 60
    assert report["privacy"]["core.near-copy"]["applied"]
    assert report["audit"]["membership_inference"]["non_members"] == 60

    other = tmp_path / "other.csv"  # not the data it was fitted on: taken as given, as before
    sg.Engine().dataset("german_credit").load().frame.tail(300).to_csv(other, index=False)
    sampled = cli("sample", str(tmp_path / "m"), "--rows", "50", "--reference", str(other), "--out",
                  str(tmp_path / "o2"), "--override-audit", "as above")
    assert sampled.returncode == 0 and "split again" not in sampled.stderr and "held out" not in sampled.stderr
    assert not json.loads((tmp_path / "o2" / "report.json").read_text())["data"]["holdout_records"]


def test_sampling_a_shipped_bundle_delivers_what_generate_delivers():
    engine = sg.Engine()
    bundle = engine.dataset("german_credit").bundles()["finance"]
    both = {"override_audit": "the two paths compared, whatever the audit says"}
    sampled = engine.sample(bundle, 200, seed=3, options=both)
    generated = engine.generate("finance", 200, dataset="german_credit", seed=3, options=both)
    pd.testing.assert_frame_equal(sampled.data, generated.data)
    audits = [r.report["audit"]["membership_inference"]["worst_auc"] for r in (sampled, generated)]
    assert audits[0] == audits[1] and sampled.report["release"] == generated.report["release"]


def test_a_model_fitted_on_a_dataset_augments_it_without_being_given_the_data(cli, tmp_path):
    assert cli("fit", "finance", "--dataset", "german_credit", "--out", str(tmp_path / "m"), *TINY).returncode == 0
    proc = cli("augment", str(tmp_path / "m"), "--regimes", "1", "--rows", "200", "--ratios", "1",
               "--override-audit", "a one-epoch model: the measurement, not the release, is tested", "--out",
               str(tmp_path / "aug"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "aug" / "report.json").read_text())
    assert report["augmentation"]["augmented"]["real_records"] == 800  # the training split, not the 200 held out
    assert report["augmentation"]["target"] == "creditability"  # the dataset's declared outcome
