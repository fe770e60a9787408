"""`--set` with a sampling setting (a temperature, sampler steps, rows per column order): the pretrained or saved
model samples with it, without training again; a training setting on `sample` is one error line."""

from __future__ import annotations

import json

import pytest
import synthguard as sg
from synthguard.pipeline import FitRequest

QUIET = {"audit": False, "metrics": False}


def test_generators_declare_which_settings_only_change_sampling():
    generators = {name: e.obj for name, e in sg.Engine().registry.generators.items()}
    assert generators["finance"].Config.sampling_settings() == {"temperature", "order_rows"}
    assert generators["imaging"].Config.sampling_settings() == {"sampling_steps", "guidance", "sampling_precision"}
    assert generators["finance-gaussian-copula"].Config.sampling_settings() == set()
    imaging = generators["imaging"]
    assert not FitRequest(config={"sampling_steps": 10}).forces_training(imaging)
    assert FitRequest(config={"sampling_steps": 10, "epochs": 3}).forces_training(imaging)


def test_generate_applies_a_sampling_setting_to_the_pretrained_bundle(monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("a sampling setting trained the model again")

    monkeypatch.setattr(sg.Engine, "fit_records", no_training)
    plain = sg.generate("finance", 300, dataset="german_credit", seed=3, options=QUIET)
    chunked = sg.generate("finance", 300, dataset="german_credit", seed=3, options=QUIET,
                          config={"order_rows": 4096})
    lineage = chunked.report["lineage"]
    assert lineage["pretrained"] and lineage["sampling_settings"] == {"order_rows": {"sampled_at": 4096, "model": 64}}
    assert chunked.report["generator"]["config"]["order_rows"] == 4096
    assert "sampling_settings" not in plain.report["lineage"]
    assert not chunked.data.equals(plain.data)  # other column orders, other draws


def test_a_fitted_model_keeps_its_sampling_settings_when_a_training_setting_forces_the_fit():
    result = sg.generate("finance", 50, dataset="german_credit", seed=0, options=QUIET,
                         config={"epochs": 1, "d_model": 16, "n_layers": 1, "n_heads": 2, "order_rows": 8})
    assert result.report["lineage"]["pretrained"] is False
    assert result.report["generator"]["config"]["order_rows"] == 8


def test_sample_takes_sampling_settings_and_leaves_the_bundle_as_saved(cli, tmp_path):
    bundle = sg.Engine().dataset("german_credit").bundles()["finance"]
    out = tmp_path / "out"
    proc = cli("sample", str(bundle), "--rows", "60", "--set", "order_rows=16", "--set", "temperature=1.2",
               "--no-audit", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["lineage"]["sampling_settings"] == {"order_rows": {"sampled_at": 16, "model": 64},
                                                      "temperature": {"sampled_at": 1.2, "model": 1.0}}
    assert sg.load(bundle).config.order_rows == 64


@pytest.mark.parametrize("setting, message", [
    ("d_model=32", "error: --set d_model: a training setting of 'finance'; a bundle samples with other sampling "
                   "settings only: expected one of order_rows, temperature (other settings: fit again)"),
    ("order_rows=0", "error: generator 'finance': option 'order_rows': Input should be greater than or equal to 1"),
])
def test_sample_refuses_a_training_setting_or_a_bad_value_in_one_line(cli, tmp_path, setting, message):
    bundle = sg.Engine().dataset("german_credit").bundles()["finance"]
    out = tmp_path / "out"
    proc = cli("sample", str(bundle), "--rows", "20", "--set", setting, "--out", str(out))
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr.strip().splitlines() == [message]


def test_generate_refuses_a_bad_sampling_value_before_training(monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("trained before refusing the setting")

    monkeypatch.setattr(sg.Engine, "fit_records", no_training)
    frame = sg.Engine().dataset("german_credit").load().frame
    with pytest.raises(sg.ConfigError, match="option 'order_rows'"):
        sg.Engine().generate("finance", 50, data=frame, config={"order_rows": 0})


def test_augment_rebalances_with_the_sampling_setting_applied_to_the_generator(monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("a sampling setting trained the model again")

    monkeypatch.setattr(sg.Engine, "fit_records", no_training)
    def run(**config):
        return sg.Engine().augment("finance", dataset="german_credit", rebalance="creditability=0.5", rows=200,
                                   config=config or None, regimes=[1], ratios=[1], options=QUIET)

    tuned, plain = run(order_rows=16), run()
    assert tuned.report["lineage"]["sampling_settings"] == {"order_rows": {"sampled_at": 16, "model": 64}}
    assert not tuned.data.equals(plain.data)  # the wrapper drew through the tuned generator, not the bundle's
