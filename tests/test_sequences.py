"""Sensor logs in, SequenceSets out: what a user's long-format file becomes, and what is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.data import channel_stats, holdout_split
from synthguard.io.readers import read_sequences
from synthguard.io.writers import write_records
from synthguard.sequences import SequenceFormat, cut_windows, from_long_frame, stitch_windows, to_long_frame

MOTIONS = Path(__file__).parent / "data" / "basic_motions.npz"


def motions() -> sg.SequenceSet:
    z = np.load(MOTIONS)
    return sg.SequenceSet(z["values"], [str(c) for c in z["channels"]], pd.DataFrame({"activity": z["labels"]}))


def log(entities=("a", "b"), steps=20, period="100ms") -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for k, e in enumerate(entities):
        t = pd.date_range("2026-01-01", periods=steps, freq=period)
        rows.append(pd.DataFrame({"entity": e, "timestamp": t, "temp": 20 + rng.normal(size=steps).cumsum(),
                                  "vibration": rng.normal(size=steps), "site": f"plant-{k % 2}", "pump_kw": 5.0 + k}))
    return pd.concat(rows, ignore_index=True)


def test_a_long_format_log_becomes_one_recording_per_entity():
    records, notes = from_long_frame(log())
    assert records.values.shape == (2, 20, 2)
    assert records.channels == ["temp", "vibration"]
    assert list(records.statics.columns) == ["site", "pump_kw"]  # constant within each entity
    assert list(records.entity_ids) == ["a", "b"]
    assert records.sampling_period == pytest.approx(0.1)
    assert notes == {}


def test_rows_out_of_time_order_are_sorted_and_said_so():
    frame = log()
    shuffled = frame.sample(frac=1, random_state=1)
    records, notes = from_long_frame(shuffled)
    expected, _ = from_long_frame(frame)
    np.testing.assert_array_equal(records.values, expected.values)
    assert "sorted_by_time" in notes


def test_duplicated_timestamps_are_refused_naming_the_entity():
    frame = log()
    frame.loc[3, "timestamp"] = frame.loc[2, "timestamp"]
    with pytest.raises(sg.DataError, match=r"entity 'a' has 1 duplicated timestamp"):
        from_long_frame(frame)


def test_irregular_timestamps_are_resampled_and_long_gaps_stay_missing():
    frame = log(entities=("a",), steps=40)
    frame = frame.drop(index=range(10, 20)).reset_index(drop=True)  # a 1.1 s hole in a 10 Hz log
    records, notes = from_long_frame(frame)
    assert "resampled" in notes
    assert records.values.shape[1] == 40  # back on the 100 ms grid
    assert np.isnan(records.values[0, 12:18]).all() and np.isfinite(records.values[0, :10]).all()


def test_millisecond_rounding_jitter_is_not_treated_as_irregular():
    t = pd.to_datetime(np.round(np.arange(200) * 15.625) * 1e6)  # 64 Hz logged in whole ms
    frame = pd.DataFrame({"timestamp": t, "x": np.sin(np.arange(200) / 5)})
    records, notes = from_long_frame(frame, SequenceFormat(entity=None))
    assert "resampled" not in notes and "jitter" in notes
    np.testing.assert_allclose(records.values[0, :, 0], frame["x"])
    assert records.sampling_period == pytest.approx(1 / 64, rel=1e-3)


def test_ragged_entities_are_padded_with_missing_readings():
    frame = pd.concat([log(entities=("a",), steps=20), log(entities=("b",), steps=12)], ignore_index=True)
    records, notes = from_long_frame(frame)
    assert records.values.shape == (2, 20, 2) and "padded" in notes
    assert np.isnan(records.values[1, 12:]).all()


@pytest.mark.parametrize("mutate, message", [
    (lambda f: f.assign(vibration=np.nan), r"channel 'vibration' is entirely missing"),
    (lambda f: f.assign(vibration=f["vibration"].astype(object).where(f.index != 5, "ERR")),
     r"channel 'vibration' holds non-numeric readings \(e.g. 'ERR'\)"),
    (lambda f: f.drop(columns=["timestamp"]), r"time column 'timestamp' not found"),
    (lambda f: f.iloc[:0], r"no rows"),
    (lambda f: pd.concat([f, f.iloc[[0]].assign(entity="lonely")]), r"entity 'lonely' has a single reading"),
    (lambda f: f.assign(temp=np.where(f.index == 3, np.inf, f["temp"])), r"inf"),
])
def test_bad_logs_get_errors_that_name_the_problem(mutate, message):
    with pytest.raises(sg.DataError, match=message):
        from_long_frame(mutate(log()))


def test_a_window_longer_than_every_series_is_refused():
    with pytest.raises(sg.DataError, match=r"window of 50 steps is longer than every series \(longest 20\)"):
        from_long_frame(log(), SequenceFormat(window=50))


def test_windows_cut_from_streams_stitch_back_to_the_streams():
    records, _ = from_long_frame(log(steps=40))
    windows = cut_windows(records, 10, stride=5)
    assert len(windows) == 2 * 7 and windows.values.shape[1:] == (10, 2)
    assert windows.entity_ids[1] == "a/5" and set(windows.sources) == {"a", "b"}
    assert list(windows.statics["site"][:2]) == ["plant-0", "plant-0"]
    back = stitch_windows(windows)
    np.testing.assert_allclose(back.values, records.values)
    assert list(back.entity_ids) == ["a", "b"]


def test_the_holdout_keeps_all_windows_of_a_stream_on_one_side():
    records, _ = from_long_frame(log(entities=[f"dev{i}" for i in range(10)], steps=30), SequenceFormat(window=10))
    train, hold = holdout_split(records, 0.2)
    assert not set(train.sources) & set(hold.sources)
    assert len(hold) == 6  # two whole streams of three windows


def test_sequences_written_as_npz_read_back_the_same(tmp_path):
    records = motions()
    path = write_records(records.take(range(10)), tmp_path / "synthetic", "parquet")
    back, _ = read_sequences(path)
    np.testing.assert_allclose(back.values, records.values[:10])
    assert list(back.statics["activity"]) == list(records.statics["activity"][:10])
    long = to_long_frame(records.take(range(3)))
    again, _ = from_long_frame(long, SequenceFormat(time="step"))
    np.testing.assert_allclose(again.values, records.values[:3])


def test_channel_statistics_are_what_the_readings_show():
    values = np.array([[[0.0], [1.0], [1.0], [1.0], [5.0], [0.0]]])
    (s,) = channel_stats(values)
    assert (s.minimum, s.maximum, s.step_max, s.flat_run_max) == (0.0, 5.0, 5.0, 3)
    assert s.spike_max == pytest.approx(4.5)  # 5 vs the mean of its neighbours (1 + 0) / 2


def test_the_engine_reads_a_log_for_a_sequence_generator_and_refuses_a_bad_format(tmp_path):
    path = tmp_path / "log.csv"
    log().to_csv(path, index=False)
    engine = sg.Engine()
    records = engine.to_records(path, modality="sequence")
    assert records.values.shape == (2, 20, 2)
    with pytest.raises(sg.ConfigError, match="window"):
        engine.to_records(path, modality="sequence", sequence_format={"window": 1})
    with pytest.raises(sg.DataError, match=r"nope.csv' not found: expected an NPZ, CSV or Parquet sensor log"):
        engine.to_records(tmp_path / "nope.csv", modality="sequence")


def test_a_generators_long_recording_window_cuts_only_long_recordings_and_says_how_the_holdout_splits():
    from synthguard.sequences import window_long_recordings

    rng = np.random.default_rng(0)
    one = sg.SequenceSet(rng.normal(size=(1, 1200, 2)), ["a", "b"])  # one long stream
    cut, fmt, note = window_long_recordings(one, sg.SequenceFormat(entity=None), 256, "sensor")
    assert cut.values.shape == (4, 256, 2) and fmt.window == 256
    assert "split window by window" in note["windows"]
    many = sg.SequenceSet(rng.normal(size=(30, 600, 2)), ["a", "b"], entity_ids=[f"r{i}" for i in range(30)],
                          entity_name="recording")
    cut, _, note = window_long_recordings(many, sg.SequenceFormat(), 256, "sensor")
    assert len(cut) == 60 and "each recording's windows on one side of the holdout" in note["windows"]
    short = sg.SequenceSet(rng.normal(size=(30, 512, 2)), ["a", "b"])  # 512 steps: trained whole
    assert window_long_recordings(short, sg.SequenceFormat(), 256, "sensor")[1:] == (None, {})
    given = sg.SequenceFormat(window=100)  # a window the user named: theirs, not the generator's
    assert window_long_recordings(many, given, 256, "sensor")[1:] == (None, {})
