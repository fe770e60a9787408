"""The unit of privacy of the traffic reference series: a day of bikeshare, a week of Chicago boardings."""

from __future__ import annotations

import synthguard as sg
from synthguard import holdout_split


def test_bikeshare_counts_days_and_chicago_weeks():
    bikes, trains = sg.datasets()["bikeshare"].load(), sg.datasets()["chicago"].load()
    assert (bikes.entity_name, trains.entity_name) == ("day", "week")
    train, held = holdout_split(bikes, 0.2)
    assert (len(train), len(held)) == (289, 72)
    assert set(train.start_times).isdisjoint(held.start_times)  # a day is on one side only


def test_the_report_and_ledger_name_the_day():
    report = sg.generate("traffic", rows=30, dataset="bikeshare", options={"metrics": False}).report
    assert report["data"]["unit"] == report["privacy_ledger"]["unit"] == report["audit"]["unit"] == "day"
    mia = report["audit"]["membership_inference"]
    assert (mia["unit"], mia["members"], mia["non_members"]) == ("day", 72, 72)
    assert report["audit"]["release"]["unit"] == "day"
