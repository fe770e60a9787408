"""What a plant operator does with synthguard-sensor, and what they get."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from click.testing import CliRunner
from synthguard.cli import main
from synthguard import holdout_split

TINY = {"epochs": 3, "hidden": 16, "layers": 1, "head_width": 16, "head_blocks": 1, "solver_steps": 4}


@pytest.fixture(scope="module")
def motions():
    return sg.datasets()["basic_motions"].load()


@pytest.fixture(scope="module")
def fitted(motions):
    train, _ = holdout_split(motions, 0.2)
    return sg.fit("sensor", train, seed=0, config=TINY)


def test_the_plugin_registers_its_generators_checks_distance_and_datasets():
    entry = next(p for p in sg.plugins() if p["name"] == "synthguard-sensor")
    roles = {g["name"]: g["role"] for g in entry["generators"]}
    assert roles == {"sensor": "default", "sensor-lstm": "alternative", "sensor-conv-ar": "alternative",
                     "sensor-flow": "alternative", "sensor-par": "baseline"}
    assert {"sensor.range", "sensor.rate", "sensor.flatline", "sensor.spike"} <= set(entry["validators"])
    assert "sensor.shape" in entry["distances"]
    assert {"basic_motions", "daphnet"} <= set(entry["datasets"])
    daphnet = sg.datasets()["daphnet"].load()
    assert daphnet.values.shape == (110, 64, 9)


def test_conditional_sampling_gives_recordings_of_the_asked_activity(fitted):
    out = fitted.sample(12, seed=3, conditions={"activity": "Running"})
    assert out.values.shape == (12, 100, 6) and np.isfinite(out.values).all()
    assert set(out.statics["activity"]) == {"Running"}
    with pytest.raises(sg.ConfigError, match=r"activity='Flying'.*expected one of 'Badminton', 'Running'"):
        fitted.sample(2, conditions={"activity": "Flying"})
    with pytest.raises(sg.DataError, match=r"cannot condition on 'speed'"):
        fitted.sample(2, conditions={"speed": 3})


def test_same_seed_same_recordings_and_a_bundle_samples_the_same(fitted, tmp_path):
    a, b = fitted.sample(5, seed=7), fitted.sample(5, seed=7)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, fitted.sample(5, seed=8).values)
    fitted.save(tmp_path / "model")
    again = sg.load(tmp_path / "model").sample(5, seed=7)
    np.testing.assert_allclose(again.values, a.values, rtol=1e-6)
    assert list(again.statics["activity"]) == list(a.statics["activity"])


def test_fit_is_reproducible(motions):
    train = motions.take(range(40))
    one = sg.fit("sensor", train, seed=1, config=TINY).sample(3, seed=0)
    two = sg.fit("sensor", train, seed=1, config=TINY).sample(3, seed=0)
    np.testing.assert_array_equal(one.values, two.values)


def test_generate_uses_the_pretrained_bundle_and_reports_sensor_metrics(tmp_path):
    result = sg.generate("sensor", rows=40, out=tmp_path / "out", seed=0)
    report = result.report
    assert report["lineage"]["pretrained"] is True
    assert report["modality"] == "sequence"
    assert len(result.records) == 40
    for name in ("sensor.fidelity", "sensor.discriminative", "sensor.predictive", "sensor.tstr"):
        assert name in report["metrics"] and "error" not in report["metrics"][name], report["metrics"].get(name)
    assert set(report["validators"]) >= {"sensor.range", "sensor.rate", "sensor.flatline", "sensor.spike", "core.finite"}
    assert report["privacy"]["core.near-copy"]["distance"] == "sensor.shape"
    # 80 recordings leave 16 unseen ones: too few for membership attacks, and the report says so
    assert "need at least 20 holdout records" in report["audit"]["skipped"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Domain metrics" in html and "sensor.discriminative" in html
    saved = np.load(tmp_path / "out" / "synthetic.npz")
    assert saved["values"].shape == (40, 100, 6)


def test_fit_resume_fine_tunes_a_bundle_on_new_recordings_from_the_cli(motions, tmp_path):
    old, new = motions.take(range(0, 40)), motions.take(range(40, 80))
    sg.fit("sensor", old, seed=0, config=TINY).save(tmp_path / "model")
    # the new recordings arrive as a long-format log, as a plant would export them
    from synthguard import to_long_frame

    to_long_frame(new, entity="device", time="t").to_csv(tmp_path / "new.csv", index=False)
    runner = CliRunner()
    res = runner.invoke(main, ["fit", "sensor", "--data", str(tmp_path / "new.csv"), "--entity-column", "device",
                               "--time-column", "t", "--resume", str(tmp_path / "model"), "--epochs", "2",
                               "--out", str(tmp_path / "model2")])
    assert res.exit_code == 0, res.output
    assert "resumed from" in res.output and "40 earlier + 40 new records" in res.output
    resumed = sg.load(tmp_path / "model2")
    assert resumed.fit_info_["resumed_from"][0]["records"] == 40
    assert len(resumed.reference_hashes_) == 80  # the exact-copy filter knows old and new recordings
    # a recording with a label the model never saw is refused, naming it
    odd = new.take(range(2))
    odd.statics["activity"] = "Swimming"
    with pytest.raises(sg.DataError, match=r"'activity' has values \['Swimming'\] the model never saw"):
        sg.fit("sensor", odd, resume=tmp_path / "model")
    with pytest.raises(sg.ConfigError, match=r"cannot resume generator 'finance' from a 'sensor' bundle"):
        sg.fit("finance", new, resume=tmp_path / "model")


def test_sample_and_explain_read_a_long_format_log_as_the_bundles_training_did(motions, tmp_path):
    from synthguard import to_long_frame

    train, hold = holdout_split(motions, 0.2)
    for part, name in ((train, "train.csv"), (hold, "hold.csv")):  # a plant's export: its own column names
        to_long_frame(part, entity="device", time="t").to_csv(tmp_path / name, index=False)
    runner = CliRunner()
    res = runner.invoke(main, ["fit", "sensor", "--data", str(tmp_path / "train.csv"), "--entity-column", "device",
                               "--time-column", "t", "--epochs", "2", "--set", "hidden=16", "--set", "components=2",
                               "--set", "layers=1", "--out", str(tmp_path / "model")])
    assert res.exit_code == 0, res.output
    # no --entity-column/--time-column again: the bundle knows how its training read the log
    res = runner.invoke(main, ["sample", str(tmp_path / "model"), "--rows", "10", "--reference",
                               str(tmp_path / "train.csv"), "--holdout", str(tmp_path / "hold.csv"),
                               "--out", str(tmp_path / "o"), "--override-audit", "tiny model under test"])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["generator"]["fit"]["source"]["read_as"]["entity"] == "device"
    assert "sensor.discriminative" in report["metrics"]  # the reference was read: metrics ran against it
    res = runner.invoke(main, ["explain", str(tmp_path / "o"), "--data", str(tmp_path / "train.csv")])
    assert res.exit_code == 0, res.output
    assert "autocorrelation difference" in res.output
    # a format given on the command line is the one used
    res = runner.invoke(main, ["sample", str(tmp_path / "model"), "--rows", "5", "--reference",
                               str(tmp_path / "train.csv"), "--entity-column", "station", "--out", str(tmp_path / "x")])
    assert res.exit_code != 0 and "entity column 'station' not found" in str(res.exception)
    assert not (tmp_path / "x").exists()


def test_generate_from_the_cli_with_a_condition_writes_recordings_and_a_report(tmp_path):
    res = CliRunner().invoke(main, ["generate", "sensor", "--rows", "15", "--condition", "activity=Walking",
                                    "--out", str(tmp_path / "walks")])
    assert res.exit_code == 0, res.output
    saved = np.load(tmp_path / "walks" / "synthetic.npz")
    assert set(saved["static__activity"]) == {"Walking"}
    report = json.loads((tmp_path / "walks" / "report.json").read_text())
    assert report["rows"] == 15
    # walking recordings are scored against the real walking recordings, not against all activities
    compared = report["metrics_compared_with"]
    assert compared["matching_conditions"] == {"training": True, "holdout": True}
    train, hold = holdout_split(sg.datasets()["basic_motions"].load(), 0.2)
    assert compared["training"] == int((train.statics["activity"] == "Walking").sum())
    assert compared["holdout"] == int((hold.statics["activity"] == "Walking").sum())


def test_a_users_long_format_log_is_windowed_and_learned(tmp_path):
    daphnet = sg.datasets()["daphnet"].load()
    stream = pd.DataFrame(daphnet.values[:12].reshape(-1, 9), columns=daphnet.channels)  # 768 readings, one walk
    stream.insert(0, "timestamp", pd.date_range("2026-01-01", periods=len(stream), freq="15625us"))
    path = tmp_path / "walk.csv"
    stream.to_csv(path, index=False)
    result = sg.generate("sensor", rows=6, data=path, config=TINY, out=tmp_path / "out",
                         sequence_format={"entity": None, "window": 32, "stride": 32},
                         # a 3-epoch model jitters faster than a walking leg can move: the safety checks would
                         # (rightly) reject it all; this test is about reading and windowing the log
                         options={"audit": False, "disable": ["sensor.rate", "sensor.spike", "sensor.range"]})
    assert result.records.values.shape == (6, 32, 9)
    assert result.report["lineage"]["data_source"]["preparation"]["windows"] == "24 windows of 32 steps, stride 32"


def test_sdv_par_baseline_fits_and_samples_the_same_shape(motions):
    small = motions.take(range(0, 80, 10))
    model = sg.fit("sensor-par", small, seed=0, epochs=1)
    out = model.sample(3, seed=0)
    assert out.values.shape == (3, 100, 6)
    assert list(out.statics.columns) == ["activity"]


@pytest.mark.parametrize("edit, args, message", [
    (lambda f: f.rename(columns={"entity": "device"}), [], "entity column 'entity' not found"),
    (lambda f: f.assign(acc_x=f["acc_x"].astype(object).where(f.index != 7, "ERR")), [],
     "channel 'acc_x' holds non-numeric readings (e.g. 'ERR')"),
    (lambda f: f, ["--window", "500"], "window of 500 steps is longer than every series (longest 100)"),
    (lambda f: pd.concat([f, f.iloc[[0]]]), [], "entity 'train0' has 1 duplicated timestamp(s)"),
])
def test_a_bad_sensor_log_is_one_clear_line_and_no_output(motions, tmp_path, edit, args, message):
    from synthguard import to_long_frame

    frame = edit(to_long_frame(motions.take(range(6)), time="timestamp"))
    frame.to_csv(tmp_path / "log.csv", index=False)
    proc = subprocess.run([str(Path(sys.executable).with_name("synthguard")), "generate", "sensor", "--data",
                           str(tmp_path / "log.csv"), "--rows", "3", "--epochs", "1", "--out", str(tmp_path / "o"), *args],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2 and proc.stderr.startswith("error: "), proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("generator,other", [("sensor-lstm", {"layers": 1}), ("sensor-conv-ar", {"latent": 4, "lags": 3})],
                         ids=["the per-reading LSTM", "conv-ar"])
def test_another_sequence_network_fits_conditions_reloads_and_refits_the_same(motions, generator, other, tmp_path):
    tiny = {"epochs": 2, "hidden": 16, "components": 2, **other}
    model = sg.fit(generator, motions, seed=0, config=tiny)
    runs = model.sample(4, seed=3, conditions={"activity": "Running"})
    assert runs.values.shape == (4, 100, 6) and np.isfinite(runs.values).all()
    assert set(runs.statics["activity"]) == {"Running"}
    model.save(tmp_path / "model")
    again = sg.load(tmp_path / "model")
    assert again.config == model.config
    np.testing.assert_array_equal(again.sample(4, seed=3, conditions={"activity": "Running"}).values, runs.values)
    refit = sg.fit(generator, motions, seed=0, config=tiny)
    np.testing.assert_array_equal(refit.sample(4, seed=3, conditions={"activity": "Running"}).values, runs.values)


def test_generate_with_the_conv_ar_uses_its_own_pretrained_bundle(tmp_path):
    result = sg.generate("sensor-conv-ar", rows=10, out=tmp_path / "out", seed=0)
    assert result.report["lineage"]["pretrained"] is True and result.report["generator"]["name"] == "sensor-conv-ar"
    assert np.load(tmp_path / "out" / "synthetic.npz")["values"].shape == (10, 100, 6)


def test_early_stopping_waits_a_count_of_updates_so_an_epoch_of_more_batches_waits_fewer_epochs(motions):
    train = motions.take(range(40))  # 36 to train on, 4 to validate early stopping
    default = sg.fit("sensor", train, seed=0, config=TINY).fit_info_
    small_batches = sg.fit("sensor", train, seed=0, config={**TINY, "batch_size": 4}).fit_info_
    assert (default["updates_per_epoch"], small_batches["updates_per_epoch"]) == (2, 9)
    assert (default["patience_epochs"], small_batches["patience_epochs"]) == (23, 5)  # ceil(45 / updates)
    in_epochs = sg.fit("sensor", train, seed=0, config={**TINY, "patience": 4}).fit_info_
    assert in_epochs["patience_epochs"] == 4  # --set patience=4 means epochs, as it always did


def test_options_that_measured_no_gain_are_gone_and_so_is_the_vae_name():
    from synthguard_sensor.generator import SensorConvAR, SensorLSTM

    for cls, option in [(SensorLSTM, "trunk"), (SensorLSTM, "patch"), (SensorConvAR, "free_bits")]:
        with pytest.raises(sg.ConfigError, match=option):
            cls({option: 1})
    entry = next(p for p in sg.plugins() if p["name"] == "synthguard-sensor")
    assert "sensor-vae" not in {g["name"] for g in entry["generators"]}


def test_sensor_flow_trains_the_setting_that_won_on_sines_and_keeps_the_first_one_as_an_option(motions, tmp_path):
    from synthguard_sensor.generator import SensorFlow

    tiny = {"steps": 2, "hidden": 8, "layers": 1, "heads": 2, "solver_steps": 2}
    model = sg.fit("sensor-flow", motions, seed=0, config=tiny)
    net = model.model_
    # velocity prediction, uniform flow times, 6 tokens: 4-step patches on 24-step windows, 17 on these 100 steps
    assert (net.predict_data, net.logit_normal_times, net.tokens, net.patch) == (False, False, 6, 17)
    # training: `steps` (2 here), or 100 passes over the recordings where that is more — one batch holds them all
    assert model.fit_info_["steps"] == 100 and model.fit_info_["epochs_run"] == 100
    runs = model.sample(4, seed=3, conditions={"activity": "Running"})
    assert runs.values.shape == (4, 100, 6) and np.isfinite(runs.values).all()
    assert set(runs.statics["activity"]) == {"Running"}
    model.save(tmp_path / "model")
    again = sg.load(tmp_path / "model")
    assert again.config == model.config and not again.model_.logit_normal_times
    np.testing.assert_array_equal(again.sample(4, seed=3, conditions={"activity": "Running"}).values, runs.values)
    first = sg.fit("sensor-flow", motions.take(range(8)), seed=0,
                   config={**tiny, "predict": "data", "max_tokens": 8, "times": "logit-normal", "min_epochs": 0})
    assert (first.model_.predict_data, first.model_.logit_normal_times, first.model_.tokens) == (True, True, 8)
    assert first.fit_info_["steps"] == 2  # min_epochs 0: exactly `steps`
    with pytest.raises(sg.ConfigError, match="times"):
        SensorFlow({"times": "beta"})


def test_sensor_flow_epochs_count_passes_over_the_recordings(motions):
    """`--epochs E` (what a user asks of every generator) trains E passes, not the flow's default step budget."""
    from synthguard_sensor.generator import SensorFlow

    tiny = {"steps": 50, "hidden": 8, "layers": 1, "heads": 2, "solver_steps": 2}
    model = sg.fit("sensor-flow", motions, seed=0, config=tiny, epochs=3)
    assert model.config.epochs == 3
    assert model.fit_info_["steps"] == 3 and model.fit_info_["epochs_run"] == 3  # one batch holds every recording
    tensors, state = model.get_state()
    assert SensorFlow.from_state(model.config.model_dump(), tensors, state).config.epochs == 3
    # a bundle written before epochs counted passes kept a value that trained nothing: it resumes on `steps` as before
    old = {**state, "model": {k: v for k, v in state["model"].items() if k != "epochs_are_passes"}}
    assert SensorFlow.from_state({**model.config.model_dump(), "epochs": 400}, tensors, old).config.epochs is None


def test_long_recordings_are_cut_into_windows_by_default_and_said_so(motions, tmp_path):
    from synthguard import to_long_frame

    # 12 devices, each 6 real BasicMotions recordings end to end (600 steps): longer than the 512 the LSTM trains whole
    joined = sg.SequenceSet(motions.values[:72].reshape(12, 600, 6), motions.channels,
                            motions.statics.iloc[:72:6].reset_index(drop=True),
                            entity_ids=np.array([f"device{i}" for i in range(12)]))
    to_long_frame(joined, entity="device", time="t").to_csv(tmp_path / "long.csv", index=False)
    proc = subprocess.run([str(Path(sys.executable).with_name("synthguard")), "fit", "sensor", "--data",
                           str(tmp_path / "long.csv"), "--entity-column", "device", "--time-column", "t", "--epochs",
                           "1", "--set", "hidden=16", "--set", "components=2", "--set", "layers=1",
                           "--out", str(tmp_path / "model")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # said before training, on stderr, and kept in the bundle's lineage
    assert proc.stderr.startswith("note: recordings of up to 600 steps are long for sensor, which trains whole "
                                  "recordings of up to 512 steps: cut into 24 windows of 256 steps"), proc.stderr
    model = sg.load(tmp_path / "model")
    assert "--window STEPS" in model.fit_info_["source"]["preparation"]["windows"]
    assert model.fit_info_["source"]["read_as"]["window"] == 256  # sample/explain read the log alike
    out = sg.sample(model, 3, reference=tmp_path / "long.csv",
                    options={"audit": False, "disable": ["sensor.rate", "sensor.spike", "sensor.range"]})
    assert out.records.values.shape == (3, 256, 6)
    assert "sensor.discriminative" in out.report["metrics"]  # the reference was read as the same windows
    # a window the user names wins, and whole recordings stay whole when asked for
    whole = sg.fit("sensor", tmp_path / "long.csv", sequence_format={"entity": "device", "time": "t", "window": 600},
                   config={**TINY, "epochs": 1})
    assert whole.length_ == 600
    assert whole.fit_info_["source"]["preparation"]["windows"] == "12 windows of 600 steps, stride 600"
