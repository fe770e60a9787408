"""`--temperature T`: a fitted or pretrained model sampled flatter (or sharper) without training it again."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.io.partitioned import read_partitioned

QUIET = {"audit": False, "metrics": False}


def entropy(frame: pd.DataFrame, col: str) -> float:
    p = frame[col].value_counts(normalize=True).to_numpy()
    return float(-(p * np.log(p)).sum())


def spread(flat: pd.DataFrame, plain: pd.DataFrame) -> float:
    """Mean gain in entropy over the categorical columns: how much flatter ``flat`` is than ``plain``."""
    cats = [c for c in plain.columns if plain[c].dtype == object or str(plain[c].dtype) == "category"]
    assert cats
    return float(np.mean([entropy(flat, c) - entropy(plain, c) for c in cats]))


def test_the_pretrained_bundle_samples_at_another_temperature_without_a_refit():
    plain = sg.generate("finance", 400, dataset="german_credit", seed=3, options=QUIET)
    flat = sg.generate("finance", 400, dataset="german_credit", seed=3, options=QUIET, temperature=2.0)
    assert flat.report["lineage"]["pretrained"] and flat.report["lineage"]["temperature"] == {"sampled_at": 2.0,
                                                                                             "model": 1.0}
    assert flat.report["generator"]["config"]["temperature"] == 2.0 and "temperature" not in plain.report["lineage"]
    assert spread(flat.data, plain.data) > 0.05  # flatter: categories spread more evenly over their values


def test_chunked_runs_sample_at_the_temperature_on_every_dask_worker(tmp_path):
    distributed = pytest.importorskip("distributed")

    def run(name, temperature, **scale):
        sg.generate("finance", 600, dataset="german_credit", seed=3, options=QUIET, temperature=temperature,
                    out=tmp_path / name, scale={"chunk_rows": 200, **scale})
        return read_partitioned(tmp_path / name / "synthetic")

    flat, plain = run("flat", 2.0), run("plain", None)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=":0") as cluster:
        on_workers = run("workers", 2.0, scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(on_workers, flat)  # the workers sampled the tempered copy
    assert spread(flat, plain) > 0.05
    report = json.loads((tmp_path / "workers" / "report.json").read_text())
    assert report["lineage"]["temperature"] == {"sampled_at": 2.0, "model": 1.0}


def test_a_saved_model_keeps_its_own_temperature(tmp_path):
    model = sg.fit("finance", dataset="german_credit", config={"epochs": 1, "d_model": 16, "n_layers": 1,
                                                               "n_heads": 2}, seed=0)
    sg.sample(model, 50, seed=0, options=QUIET, temperature=1.5)
    assert model.config.temperature == 1.0  # the run sampled a copy


def test_a_generator_without_a_temperature_is_refused_before_training(monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("trained before refusing --temperature")

    monkeypatch.setattr(sg.Engine, "fit_records", no_training)
    frame = sg.Engine().dataset("german_credit").load().frame
    with pytest.raises(sg.ConfigError, match=r"--temperature 1.2: generator 'finance-gaussian-copula' has no sampling "
                                             r"temperature: expected one of .*finance"):
        sg.Engine().generate("finance-gaussian-copula", 50, data=frame, temperature=1.2)


def test_a_bad_temperature_is_one_error_line_and_nothing_written(cli, tmp_path):
    out = tmp_path / "out"
    proc = cli("generate", "finance", "--rows", "20", "--temperature", "0", "--out", str(out))
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr.strip().splitlines() == ["error: run: option 'temperature': Input should be greater than 0"]
