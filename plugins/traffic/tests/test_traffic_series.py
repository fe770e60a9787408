"""What a transport authority does with synthguard-traffic's series generator, and what they get."""

from __future__ import annotations

import json
import re
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
from synthguard_traffic.constructed import G_FACTOR, constructed_detector_log

TINY = {"epochs": 4, "hidden": 16, "components": 2, "layers": 1}


@pytest.fixture(scope="module")
def days():
    return sg.datasets()["bikeshare"].load()


@pytest.fixture(scope="module")
def fitted(days):
    train, _ = holdout_split(days, 0.2)
    return sg.fit("traffic", train, seed=0, config=TINY)


def test_the_plugin_registers_generators_checks_distance_and_real_datasets():
    entry = next(p for p in sg.plugins() if p["name"] == "synthguard-traffic")
    roles = {g["name"]: g["role"] for g in entry["generators"]}
    assert roles == {"traffic": "default", "traffic-trips": "alternative", "traffic-par": "baseline",
                     "traffic-trips-gc": "baseline"}
    assert {"traffic.nonnegative", "traffic.occupancy", "traffic.speed", "traffic.capacity",
            "traffic.fundamental_diagram", "traffic.trip_order", "traffic.trip_speed"} <= set(entry["validators"])
    assert "traffic.series" in entry["distances"]
    chicago = sg.datasets()["chicago"].load()
    assert chicago.values.shape == (812, 7, 24)
    assert pd.Timestamp(chicago.start_times[0]).day_name() == "Monday"  # weeks run Monday to Sunday
    assert sg.datasets()["bikeshare"].load().values.shape == (361, 24, 7)


def test_weather_is_an_input_taken_from_real_days_and_counts_are_generated(fitted, days):
    out = fitted.sample(30, seed=1)
    weather = [days.channels.index(c) for c in ("temp", "hum", "weathersit")]
    real_weather = {days.values[i][:, weather].tobytes() for i in range(len(days))}
    assert all(out.values[i][:, weather].tobytes() in real_weather for i in range(len(out)))
    counts = out.values[..., :2]
    assert (counts >= 0).all() and np.array_equal(counts, np.round(counts))  # whole riders, never negative
    assert set(out.start_times) <= set(days.start_times)


def test_calendar_conditions_pick_the_days(fitted):
    sats = fitted.sample(10, seed=2, conditions={"weekday": "Sat"})
    assert set(pd.DatetimeIndex(sats.start_times).day_name()) == {"Saturday"}
    day = pd.Timestamp(fitted.sample(1, seed=3).start_times[0]).strftime("%Y-%m-%d")
    again = fitted.sample(3, seed=2, conditions={"date": day})
    assert set(pd.DatetimeIndex(again.start_times).strftime("%Y-%m-%d")) == {day}
    with pytest.raises(sg.DataError, match=r"no training record starts on a day matching \{'date': '2030-01-01'\}"):
        fitted.sample(2, conditions={"date": "2030-01-01"})
    with pytest.raises(sg.ConfigError, match=r"weekday='Funday'.*day name"):
        fitted.sample(2, conditions={"weekday": "Funday"})
    with pytest.raises(sg.DataError, match=r"cannot condition on 'station'"):
        fitted.sample(2, conditions={"station": "A"})


def test_same_seed_same_days_and_a_bundle_samples_the_same(fitted, tmp_path):
    a = fitted.sample(6, seed=7)
    np.testing.assert_array_equal(a.values, fitted.sample(6, seed=7).values)
    fitted.save(tmp_path / "model")
    again = sg.load(tmp_path / "model").sample(6, seed=7)
    np.testing.assert_allclose(again.values, a.values, rtol=1e-6)
    np.testing.assert_array_equal(again.start_times, a.start_times)


def test_the_pretrained_model_knows_commuter_peaks_from_weekends():
    """Registered riders peak at rush hour on workdays and around midday at weekends (real 2011 pattern)."""
    model = sg.load(sg.datasets()["bikeshare"].bundles()["traffic"])
    registered = model.channels_.index("registered")
    wed = model.sample(150, seed=0, conditions={"weekday": "Wed"}).values[..., registered].mean(axis=0)
    sat = model.sample(150, seed=0, conditions={"weekday": "Sat"}).values[..., registered].mean(axis=0)
    assert int(np.argmax(wed)) in (7, 8, 17, 18)
    assert 10 <= int(np.argmax(sat)) <= 16
    assert wed[8] > 2 * sat[8]  # the morning commute is a workday thing


def test_generate_from_the_pretrained_bundle_in_seconds(tmp_path):
    res = CliRunner().invoke(main, ["generate", "traffic", "--rows", "40", "--condition", "holiday=true",
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["lineage"]["pretrained"] is True
    with np.load(tmp_path / "out" / "synthetic.npz") as z:
        assert z["values"].shape == (40, 24, 7)
        starts = pd.DatetimeIndex(z["start_times"])
    from pandas.tseries.holiday import USFederalHolidayCalendar
    holidays = set(USFederalHolidayCalendar().holidays("2011-01-01", "2011-12-31").strftime("%Y-%m-%d"))
    assert set(starts.strftime("%Y-%m-%d")) <= holidays


# --------------------------------------------------------------------------- a user's detector log


def _detector_log(tmp_path, **changes) -> str:
    """The plugin's constructed (not real) detector log, as a CSV, with ``changes`` applied."""
    frame = constructed_detector_log()
    for change in changes.values():
        frame = change(frame)
    path = tmp_path / "detectors.csv"
    frame.to_csv(path, index=False)
    return str(path)


def _generate(tmp_path, data, *extra):
    return CliRunner().invoke(main, ["generate", "traffic", "--data", data, "--entity-column", "station",
                                     "--window", "24", "--rows", "10", "--epochs", "3", "--out",
                                     str(tmp_path / "out"), *extra])


def test_a_detector_log_is_read_cut_into_days_and_checked_against_the_fundamental_diagram(tmp_path):
    res = _generate(tmp_path, _detector_log(tmp_path), "--no-audit", "--bound", "speed=0:70")
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    fd = report["validators"]["traffic.fundamental_diagram"]
    assert fd["applied"] is True  # calibrated on the user's detectors: g ~ 0.0045 mi (7 m per vehicle)
    assert fd["detectors"]["detector"]["g"] == pytest.approx(G_FACTOR, rel=0.1)
    assert report["validators"]["traffic.occupancy"]["channels"] == ["occupancy"]
    assert report["validators"]["traffic.speed"]["limits"]["speed"] == {"max": 70.0, "source": "declared"}
    assert report["data"]["training_records"] + report["data"]["holdout_records"] == 3 * 14  # 3 stations x 14 days


@pytest.mark.parametrize("change, message", [
    (lambda f: f.assign(flow=np.where(f.index == 5, -3.0, f["flow"])), r"channel 'flow' holds a negative count"),
    (lambda f: pd.concat([f, f.iloc[[10]]]), r"duplicated timestamp"),
    (lambda f: f.assign(flow=np.where(f["station"] == "s2", np.nan, f["flow"]),
                        speed=np.where(f["station"] == "s2", np.nan, f["speed"]),
                        occupancy=np.where(f["station"] == "s2", np.nan, f["occupancy"])), r"entity 's2' has no reading"),
])
def test_bad_detector_logs_are_refused_with_a_reason_and_no_output(tmp_path, change, message):
    res = _generate(tmp_path, _detector_log(tmp_path, change=change))
    assert isinstance(res.exception, sg.DataError) and not (tmp_path / "out").exists()
    assert re.search(message, str(res.exception)), res.exception


def test_timestamps_with_mixed_utc_offsets_are_read_as_instants(tmp_path):
    """A log written across a daylight-saving change: +01:00 then +02:00, no gap, no repeat."""
    t = pd.date_range("2024-03-30", periods=24 * 4, freq="h", tz="Europe/Berlin")
    frame = pd.DataFrame({"timestamp": t.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"(\d\d)$", r":\1", regex=True),
                          "count": np.arange(len(t)) % 24 * 10})
    path = tmp_path / "counts.csv"
    frame.to_csv(path, index=False)
    from synthguard.io import read_sequences
    from synthguard import SequenceFormat

    records, notes = read_sequences(path, SequenceFormat(entity=None, window=24))
    assert "time_zone" in notes and "resampled" not in notes
    assert records.values.shape == (4, 24, 1) and records.sampling_period == 3600


def test_a_malformed_bound_is_one_line_on_stderr_exit_2_and_no_output(tmp_path):
    exe = Path(sys.executable).with_name("synthguard")
    proc = subprocess.run([str(exe), "generate", "traffic", "--data", _detector_log(tmp_path), "--entity-column", "station",
                           "--window", "24", "--bound", "speed<70", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "expected NAME=LOW:HIGH" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_daylight_saving_gap_in_local_timestamps_is_interpolated_and_reported(tmp_path):
    """Naive local clock times skip 02:00 on the spring change: the missing hour is interpolated, and said so."""
    t = pd.date_range("2024-03-30", periods=24 * 4, freq="h", tz="Europe/Berlin").tz_localize(None)
    frame = pd.DataFrame({"timestamp": t.strftime("%Y-%m-%d %H:%M:%S"), "count": np.arange(len(t)) % 24 * 10.0})
    assert (t[1:] - t[:-1]).max() == pd.Timedelta(hours=2)  # the gap is really there
    frame.to_csv(tmp_path / "counts.csv", index=False)
    from synthguard.io import read_sequences
    from synthguard import SequenceFormat

    records, notes = read_sequences(tmp_path / "counts.csv", SequenceFormat(entity=None, window=24))
    assert "resampled" in notes and records.sampling_period == 3600
    assert np.isfinite(records.values).all()  # one missing hour (< 2 steps) is filled by linear interpolation


def test_station_attributes_are_conditions_and_survive_the_bundle(tmp_path):
    from synthguard import SequenceFormat, from_long_frame

    log = constructed_detector_log()
    log["lanes"] = log["station"].map({"s1": 2, "s2": 3, "s3": 3})
    records, _ = from_long_frame(log, SequenceFormat(entity="station", window=24))
    model = sg.fit("traffic", records, seed=0, config=TINY)
    out = model.sample(8, seed=0, conditions={"lanes": 2})
    assert list(out.statics["lanes"]) == [2] * 8 and out.statics["lanes"].dtype.kind == "i"
    model.save(tmp_path / "m")
    again = sg.load(tmp_path / "m").sample(8, seed=0, conditions={"lanes": 2})
    np.testing.assert_allclose(again.values, out.values, rtol=1e-6)
    assert list(again.statics["lanes"]) == [2] * 8


def test_a_model_fine_tuned_on_a_later_season_knows_both_seasons_days(days):
    winter_spring = days.take(np.arange(0, 180))
    summer_autumn = days.take(np.arange(180, len(days)))
    model = sg.fit("traffic", winter_spring, seed=0, config=TINY)
    model.fit(summer_autumn, seed=0, resume=True)
    months = set(pd.DatetimeIndex(model.sample(200, seed=0).start_times).month)
    assert {1, 7, 12} <= months  # contexts of both periods are drawn
    assert model.fit_info_["resumed_from"]
    with pytest.raises(sg.DataError, match=r"channels"):
        model.fit(sg.SequenceSet(days.values[..., :3], days.channels[:3], start_times=days.start_times,
                                 sampling_period=3600.0), resume=True)


def test_a_wide_detector_table_one_column_per_detector_is_read_as_one_stream(tmp_path):
    """METR-LA / PeMS-BAY style (once exported from HDF5): timestamp, then one column per sensor."""
    wide = constructed_detector_log().pivot(index="timestamp", columns="station", values="speed").reset_index()
    wide.columns = ["timestamp", "773869", "767541", "767542"]
    wide.to_csv(tmp_path / "speeds.csv", index=False)
    from synthguard.io import read_sequences
    from synthguard import SequenceFormat

    records, _ = read_sequences(tmp_path / "speeds.csv", SequenceFormat(entity=None, window=24))
    assert records.values.shape == (14, 24, 3) and records.channels == ["773869", "767541", "767542"]
    model = sg.fit("traffic", records, seed=0, config=TINY)
    assert model.sample(4, seed=0, conditions={"weekday": "Mon"}).values.shape == (4, 24, 3)
