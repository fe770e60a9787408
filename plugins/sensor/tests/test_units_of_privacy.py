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
