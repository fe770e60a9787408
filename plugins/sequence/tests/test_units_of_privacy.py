"""The unit of privacy of sensor logs: windows of one recording stay together, in the holdout split and in early stopping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import synthguard as sg
from synthguard import SequenceFormat, from_long_frame, holdout_split
from synthguard.models import torch_generator
from synthguard_sequence.generator import validation_split


def _log(devices: int, steps: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"device": np.repeat([f"d{i}" for i in range(devices)], steps),
                         "timestamp": np.tile(np.arange(steps, dtype=float), devices),
                         "acc": rng.normal(size=devices * steps)})


def test_windows_of_one_recording_never_straddle_the_split():
    windows, _ = from_long_frame(_log(6), SequenceFormat(entity="device", window=10))
    train, held = holdout_split(windows, 0.2, seed=0)
    assert set(train.sources).isdisjoint(held.sources)
    assert len(train) + len(held) == len(windows) == 36


def test_even_two_recordings_are_split_whole_not_window_by_window():
    windows, _ = from_long_frame(_log(2), SequenceFormat(entity="device", window=10))
    train, held = holdout_split(windows, 0.2, seed=0)
    assert len(set(train.sources)) == len(set(held.sources)) == 1
    assert set(train.sources).isdisjoint(held.sources)


def test_the_unit_is_named_after_the_entity_column_and_kept_by_windows():
    windows, _ = from_long_frame(_log(6), SequenceFormat(entity="device", window=10))
    train, held = holdout_split(windows, 0.2, seed=0)
    assert windows.entity_name == train.entity_name == held.entity_name == "device"
    assert sg.SequenceSet.concat([train, held]).entity_name == "device"


def test_one_unnamed_stream_is_cut_into_windows_that_count_one_by_one():
    log = _log(1).drop(columns="device")
    windows, _ = from_long_frame(log, SequenceFormat(entity=None, window=10))
    train, held = holdout_split(windows, 0.5, seed=0)
    assert len(train) == len(held) == 3  # no name, one stream: the windows are the records split


def test_early_stopping_holds_out_whole_recordings():
    recording = np.repeat(np.arange(10), 6)  # 10 recordings of 6 windows
    val, train = validation_split(len(recording), 0.1, torch_generator(0), recording)
    assert len(val) >= 6 and len(val) + len(train) == 60
    assert set(recording[val.numpy()]).isdisjoint(recording[train.numpy()])


def test_with_one_record_per_unit_early_stopping_draws_as_before():
    plain = validation_split(50, 0.1, torch_generator(3))
    by_unit = validation_split(50, 0.1, torch_generator(3), np.arange(50))
    assert all(a.tolist() == b.tolist() for a, b in zip(plain, by_unit))  # shipped bundles retrain to the same model


def test_one_recording_is_not_held_out_for_early_stopping():
    val, train = validation_split(40, 0.1, torch_generator(0), np.zeros(40))
    assert len(val) == 0 and len(train) == 40  # holding it out would leave nothing to train on
