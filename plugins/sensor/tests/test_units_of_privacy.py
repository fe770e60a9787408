"""What a user reads about the unit of privacy when generating sensor recordings: recordings, never loose windows."""

from __future__ import annotations

import synthguard as sg
from synthguard import holdout_split

QUICK = {"metrics": False}


def test_basic_motions_is_split_by_recording():
    motions = sg.datasets()["basic_motions"].load()
    train, held = holdout_split(motions, 0.2)
    assert motions.entity_name == "recording"
    assert set(train.entity_ids).isdisjoint(held.entity_ids) and (len(train), len(held)) == (64, 16)


def test_the_report_and_ledger_name_the_recording_and_say_16_are_too_few_to_judge():
    report = sg.generate("sensor", rows=20, dataset="basic_motions", options=QUICK).report
    assert report["data"]["unit"] == report["privacy_ledger"]["unit"] == report["audit"]["unit"] == "recording"
    assert report["release"]["decision"] == "cannot tell"
    assert "got 16" in report["release"]["reason"]


def test_one_patients_walk_is_audited_window_by_window_and_says_so():
    report = sg.generate("sensor", rows=20, dataset="daphnet", options=QUICK).report
    assert report["audit"]["unit"] == report["data"]["unit"] == "window"
    assert report["data"]["training_units"] == 88
    assert report["release"]["decision"] == "cannot tell"  # 22 windows a side cannot read AUC 0.55


def test_under_epsilon_dp_sgd_samples_recordings_not_their_windows(tmp_path):
    motions = sg.datasets()["basic_motions"].load().take(range(40))
    log = sg.to_long_frame(motions, entity="device", time="t")
    windows, _ = sg.from_long_frame(log, sg.SequenceFormat(entity="device", time="t", window=25, stride=25))
    assert len(windows) == 160  # 40 recordings, 4 windows each

    model = sg.fit("sensor", windows, seed=0, config={"hidden": 16, "components": 2, "layers": 1,
                                                      "epsilon": 3, "dp_epochs": 2})
    dp = model.fit_info_["privacy"]["dp"]
    assert dp["epsilon_spent"] <= 3.0 + 1e-6 and dp["epochs"] == 2
    # Poisson sampling over the 40 recordings (expected batch 20: q = 0.5), not over the 160 windows (q = 0.2)
    assert dp["sample_rate"] == 0.5 and dp["unit"].startswith("device (40 devices of up to 4 records")
    assert len(model.reference_hashes_) == 0  # a DP bundle keeps no fingerprints of its training records

    model.save(tmp_path / "model")  # the DP-trained LSTM weights are the ones the bundle samples with
    again = sg.load(tmp_path / "model")
    assert (again.sample(3, seed=1).values == model.sample(3, seed=1).values).all()
