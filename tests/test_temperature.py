"""`--temperature T`: a fitted or pretrained model sampled flatter (or sharper) without training it again."""

from __future__ import annotations

import numpy as np
import pytest
import synthguard as sg

QUIET = {"audit": False, "metrics": False}


def test_the_pretrained_bundle_samples_at_another_temperature_without_a_refit():
    plain = sg.generate("finance", 400, dataset="german_credit", seed=3, options=QUIET)
    flat = sg.generate("finance", 400, dataset="german_credit", seed=3, options=QUIET, temperature=2.0)
    assert flat.report["lineage"]["pretrained"] and flat.report["lineage"]["temperature"] == {"sampled_at": 2.0,
                                                                                             "model": 1.0}
    assert flat.report["generator"]["config"]["temperature"] == 2.0 and "temperature" not in plain.report["lineage"]
    # flatter: the categories of every categorical column spread more evenly over their values
    def entropy(frame, col):
        p = frame[col].value_counts(normalize=True).to_numpy()
        return float(-(p * np.log(p)).sum())

    cats = [c for c in plain.data.columns if plain.data[c].dtype == object or str(plain.data[c].dtype) == "category"]
    assert cats and np.mean([entropy(flat.data, c) - entropy(plain.data, c) for c in cats]) > 0.05


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
