"""What the traffic report metrics tell a planner about the shipped real data vs broken generators.

Each comparison scores a "perfect generator" (another half of the real records) against a degraded one
built from the same real records: readings shuffled in time, stations taken from different weeks,
origin-destination pairs drawn at random. The metric must tell them apart clearly.
"""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
import synthguard as sg
from synthguard_traffic.datasets import load_bikeshare, load_chicago, load_nyc_flights
from synthguard_traffic.metrics import (
    METRICS,
    ForecastTSTRMetric,
    ODMetric,
    ProfilesMetric,
    SpatialMetric,
)

CONTEXT = sg.MetricContext(domain="traffic")
WEATHER = {"temp", "atemp", "hum", "windspeed", "weathersit", "percip", "weather_rain", "weather_snow"}


# --- real data and broken generators ------------------------------------------------------

def parts(records, k: int, seed: int = 0):
    """``k`` disjoint random parts of the records (each in time order)."""
    order = np.random.default_rng(seed).permutation(len(records))
    return [records.take(np.sort(p)) for p in np.array_split(order, k)]


def like(records: sg.SequenceSet, values: np.ndarray, start_times="same") -> sg.SequenceSet:
    starts = records.start_times if isinstance(start_times, str) else start_times
    return sg.SequenceSet(values, records.channels, sampling_period=records.sampling_period, start_times=starts)


def shuffled_in_time(records: sg.SequenceSet, seed: int = 1) -> sg.SequenceSet:
    """Each record's steps in random order: right levels and station mix, no daily/weekly shape."""
    rng = np.random.default_rng(seed)
    return like(records, np.stack([rec[rng.permutation(len(rec))] for rec in records.values]))


def stations_from_other_records(records: sg.SequenceSet, seed: int = 1) -> sg.SequenceSet:
    """Every channel taken from a different random record: right profiles, stations no longer move together."""
    rng = np.random.default_rng(seed)
    values = records.values.copy()
    for c in range(values.shape[2]):
        values[:, :, c] = values[rng.permutation(len(values)), :, c]
    return like(records, values)


@pytest.fixture(scope="module")
def bikeshare():
    return load_bikeshare()


@pytest.fixture(scope="module")
def chicago():
    return load_chicago()


@pytest.fixture(scope="module")
def flights():
    return load_nyc_flights()


def figures_draw(result: dict) -> None:
    """The report can serialise and draw every figure."""
    json.dumps(result)
    for spec in result["figures"]:
        assert spec["title"]
        go.Figure(data=spec["data"], layout=spec["layout"])


def test_the_four_metrics_run_for_traffic_data_only():
    assert [m.name for m in METRICS] == ["traffic.profiles", "traffic.spatial", "traffic.forecast_tstr", "traffic.od"]
    for metric in METRICS[:3]:
        assert metric().applies_to("sequence", "traffic") and not metric().applies_to("table", "traffic")
        assert not metric().applies_to("sequence", "sensor")
    assert ODMetric().applies_to("table", "traffic") and not ODMetric().applies_to("sequence", "traffic")


# --- traffic.profiles ------------------------------------------------------------------------

def test_profiles_tell_real_days_from_days_with_shuffled_hours(bikeshare):
    real, other = parts(bikeshare, 2)
    good = ProfilesMetric().compute(real, other, CONTEXT)
    bad = ProfilesMetric().compute(real, shuffled_in_time(other), CONTEXT)
    print("bikeshare profiles, real half vs shuffled:",
          {k: (good[k], bad[k]) for k in ("profile_nmae", "peak_shift_hours", "peak_time_tvd")})
    assert good["profile_nmae"] < 0.1 and bad["profile_nmae"] > 3 * good["profile_nmae"]
    assert good["peak_shift_hours"] == 0 and bad["peak_shift_hours"] >= 3
    assert good["peak_time_tvd"] < 0.2 and bad["peak_time_tvd"] > 3 * good["peak_time_tvd"]
    assert set(good) >= {"profile_nmae", "peak_shift_hours", "peak_shift_days", "peak_time_tvd", "profiles",
                         "peak_time", "channels", "covariates_left_out", "time_of_step", "figures"}
    assert list(good["profiles"]) == ["hour", "weekday"]  # hourly records that know their dates
    hour = good["profiles"]["hour"]["channels"]["registered"]
    assert set(hour) == {"profile_nmae", "real_peak", "synthetic_peak", "peak_shift"}
    assert hour["real_peak"] in (8, 17, 18)  # commuters
    assert good["peak_time"]["axis"] == "hour of day"
    assert good["profiles"]["weekday"]["channels"]["casual"]["real_peak"] in (5, 6)  # leisure riders: weekends
    figures_draw(good)


@pytest.mark.parametrize("hours", [3, 8])
def test_a_generator_running_hours_late_shows_that_peak_shift(bikeshare, hours):
    """Shifts are circular: 8 hours late puts the evening rush past midnight, still 8 hours off."""
    real, other = parts(bikeshare, 2)
    late = ProfilesMetric().compute(real, like(other, np.roll(other.values, hours, axis=1)), CONTEXT)
    assert late["peak_shift_hours"] == hours
    for channel in late["profiles"]["hour"]["channels"].values():
        assert channel["synthetic_peak"] == (channel["real_peak"] + hours) % 24


def test_profiles_tell_real_weeks_from_weeks_with_shuffled_days(chicago):
    real, other = parts(chicago, 2)
    good = ProfilesMetric().compute(real, other, CONTEXT)
    bad = ProfilesMetric().compute(real, shuffled_in_time(other), CONTEXT)
    print("chicago profiles, real half vs shuffled:",
          {k: (good[k], bad[k]) for k in ("profile_nmae", "peak_shift_days", "peak_time_tvd")})
    assert list(good["profiles"]) == ["weekday"] and good["peak_shift_hours"] is None  # daily readings
    assert good["profile_nmae"] < 0.05 and bad["profile_nmae"] > 10 * good["profile_nmae"]
    assert good["peak_shift_days"] < 1 and bad["peak_shift_days"] > 1.5
    assert bad["peak_time_tvd"] > 3 * good["peak_time_tvd"]
    assert len(good["channels"]) == 20 and "Clark_Lake" in good["channels"]
    weekdays = good["profiles"]["weekday"]["channels"]
    assert all(station["real_peak"] <= 4 for station in weekdays.values())  # L-train boardings peak Monday-Friday
    figures_draw(good)


def test_weather_is_left_out_of_every_sequence_metric(bikeshare):
    """The generator copies weather from real days: a metric scoring it would flatter the generator."""
    real, other = parts(bikeshare, 2)
    noise = other.values.copy()
    weather = [i for i, c in enumerate(other.channels) if c in WEATHER]
    noise[:, :, weather] = np.random.default_rng(3).normal(size=noise[:, :, weather].shape)
    holdout = sg.MetricContext(holdout=other, domain="traffic")
    for metric, context in ((ProfilesMetric(), CONTEXT), (SpatialMetric(), CONTEXT), (ForecastTSTRMetric(), holdout)):
        clean, noisy = metric.compute(real, other, context), metric.compute(real, like(other, noise), context)
        assert clean["covariates_left_out"] == ["temp", "atemp", "hum", "windspeed", "weathersit"]
        clean.pop("figures", None), noisy.pop("figures", None)
        assert clean == noisy, metric.name


def test_without_start_times_steps_count_from_midnight(bikeshare):
    real, other = parts(bikeshare, 2)
    result = ProfilesMetric().compute(like(real, real.values, None), like(other, other.values, None), CONTEXT)
    assert "midnight" in result["time_of_step"]
    assert list(result["profiles"]) == ["hour"]  # a one-day record has a single "day of record"
    with_dates = ProfilesMetric().compute(real, other, CONTEXT)
    assert result["profiles"]["hour"] == with_dates["profiles"]["hour"]  # bikeshare days start at midnight


# --- traffic.spatial -------------------------------------------------------------------------

def test_spatial_tells_real_weeks_from_stations_taken_from_different_weeks(chicago):
    real, other = parts(chicago, 2)
    good = SpatialMetric().compute(real, other, CONTEXT)
    bad = SpatialMetric().compute(real, stations_from_other_records(other), CONTEXT)
    print("chicago spatial, real half vs stations from other weeks:",
          {k: (good[k], bad[k]) for k in ("step_correlation_mad", "total_correlation_mad")})
    assert good["step_correlation_mad"] < 0.02 and bad["step_correlation_mad"] > 5 * good["step_correlation_mad"]
    assert good["total_correlation_mad"] < 0.05 and bad["total_correlation_mad"] > 10 * good["total_correlation_mad"]
    assert set(good) >= {"step_correlation_mad", "total_correlation_mad", "step", "total", "channels",
                         "covariates_left_out", "figures"}
    assert set(good["total"]) == {"mean_abs_difference", "max_abs_difference", "worst_pair", "real", "synthetic"}
    assert np.array(good["step"]["real"]).shape == (20, 20)
    assert [f["data"][0]["type"] for f in good["figures"]] == ["heatmap", "heatmap"]
    figures_draw(good)


def test_spatial_needs_two_stations(bikeshare):
    one = sg.SequenceSet(bikeshare.values[:, :, [0, 2]], ["casual", "temp"], sampling_period=3600.0)
    assert "at least 2 traffic channels" in SpatialMetric().compute(one, one, CONTEXT)["skipped"]


# --- traffic.forecast_tstr ---------------------------------------------------------------------

def test_a_forecaster_trained_on_shuffled_days_forecasts_real_days_badly(bikeshare):
    real, other, holdout = parts(bikeshare, 3)
    context = sg.MetricContext(holdout=holdout, domain="traffic")
    good = ForecastTSTRMetric().compute(real, other, context)
    bad = ForecastTSTRMetric().compute(real, shuffled_in_time(other), context)
    print("bikeshare forecast, real third vs shuffled:", {k: (good[k], bad[k]) for k in ("tstr_mae", "trtr_mae",
                                                                                         "ratio", "naive_mae")})
    assert 0.85 < good["ratio"] < 1.15 and bad["ratio"] > 2
    # the forecaster learned something: it beats the last value and the hour's historical average
    assert good["trtr_mae"] < 0.7 * good["naive_mae"] and good["trtr_mae"] < 0.7 * good["historical_average_mae"]
    assert good["seasonal_naive_mae"] is None  # one-day records hold no "same hour yesterday"
    assert set(good) >= {"tstr_mae", "trtr_mae", "ratio", "naive_mae", "historical_average_mae", "seasonal_naive_mae",
                         "units", "tested_on", "test_rows", "model", "baselines", "channels", "covariates_left_out"}
    assert set(good["channels"]) == {"casual", "registered"}
    assert good["channels"]["registered"]["tstr_mae"] > good["channels"]["casual"]["tstr_mae"]  # in riders
    json.dumps(good)


def test_forecast_without_holdout_tests_on_the_training_records(chicago):
    real, other = parts(chicago, 2)
    result = ForecastTSTRMetric().compute(real, other, CONTEXT)
    assert result["trtr_mae"] is None and result["ratio"] is None and "no holdout" in result["tested_on"]
    assert result["tstr_mae"] < 0.5 * result["naive_mae"]


# --- traffic.od --------------------------------------------------------------------------------

def test_od_tells_real_flights_from_random_and_decoupled_origin_destination(flights):
    real, other = parts(flights, 2)
    rng = np.random.default_rng(1)
    uniform, decoupled = other.frame.copy(), other.frame.copy()
    uniform["origin"] = rng.choice(sorted(flights.frame["origin"].unique()), len(uniform))
    uniform["dest"] = rng.choice(sorted(flights.frame["dest"].unique()), len(uniform))
    uniform["dep_time"] = rng.uniform(0, 1440, len(uniform)).round()
    decoupled["dest"] = rng.permutation(decoupled["dest"].to_numpy())  # right marginals, wrong pairs
    good = ODMetric().compute(real, other, CONTEXT)
    bad = ODMetric().compute(real, sg.Table(uniform, flights.meta), CONTEXT)
    mixed = ODMetric().compute(real, sg.Table(decoupled, flights.meta), CONTEXT)
    keys = ("od_tvd", "share_pearson", "real_pair_coverage", "novel_pair_trip_share", "departure_hour_tvd")
    print("nyc_flights od, real half vs uniform vs decoupled:", {k: (good[k], bad[k], mixed[k]) for k in keys})
    assert good["od_tvd"] < 0.1 and bad["od_tvd"] > 5 * good["od_tvd"] and mixed["od_tvd"] > 3 * good["od_tvd"]
    assert good["share_pearson"] > 0.95 and bad["share_pearson"] < 0.5
    assert good["novel_pair_trip_share"] < 0.01 and bad["novel_pair_trip_share"] > 0.2
    assert mixed["novel_pair_trip_share"] > 0.05
    assert good["real_pair_coverage"] > 0.95 and good["real_trip_coverage"] > 0.99
    assert good["departure_hour_tvd"] < 0.05 and bad["departure_hour_tvd"] > 5 * good["departure_hour_tvd"]
    assert mixed["destination_tvd"] == good["destination_tvd"]  # only the pairing differs
    assert good["columns"] == {"origin": "origin", "destination": "dest", "departure": "dep_time"}
    assert set(good) >= {"od_tvd", "share_pearson", "share_spearman", "real_pair_coverage", "real_trip_coverage",
                         "novel_pair_trip_share", "departure_hour_tvd", "origin_tvd", "destination_tvd",
                         "real_pairs", "synthetic_pairs", "columns", "figures"}
    assert len(good["figures"][0]["data"][0]["x"]) == 20  # top-20 OD pairs
    figures_draw(good)


# --- input that does not fit ----------------------------------------------------------------

def test_unfit_input_is_refused_by_name(bikeshare, flights):
    weather_only = sg.SequenceSet(bikeshare.values[:, :, 2:4], ["temp", "atemp"], sampling_period=3600.0)
    for metric in (ProfilesMetric(), SpatialMetric(), ForecastTSTRMetric()):
        with pytest.raises(sg.DataError, match=r"no traffic channel among \['temp', 'atemp'\]"):
            metric.compute(weather_only, weather_only, CONTEXT)
    casual_only = sg.SequenceSet(bikeshare.values[:, :, [0, 2]], ["casual", "temp"], sampling_period=3600.0)
    with pytest.raises(sg.DataError, match=r"synthetic records lack traffic channel\(s\) \['registered'\]"):
        ProfilesMetric().compute(bikeshare, casual_only, CONTEXT)
    no_origin = sg.Table.from_frame(flights.frame.drop(columns=["origin"]))
    with pytest.raises(sg.DataError, match="no origin column"):
        ODMetric().compute(no_origin, no_origin, CONTEXT)
    clock = flights.frame.assign(dep_time=flights.frame["dep_time"] * 1000)
    with pytest.raises(sg.DataError, match="departure column 'dep_time'"):
        ODMetric().compute(sg.Table.from_frame(clock), sg.Table.from_frame(clock), CONTEXT)
