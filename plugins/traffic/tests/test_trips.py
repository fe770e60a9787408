"""What a mobility operator does with synthguard-traffic's trip generator, and what they get."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from click.testing import CliRunner
from synthguard.cli import main
from synthguard import holdout_split

TINY = {"epochs": 3, "hidden": 16, "embedding": 4, "components": 2}


@pytest.fixture(scope="module")
def flights():
    return sg.datasets()["nyc_flights"].load()


@pytest.fixture(scope="module")
def train(flights):
    return holdout_split(flights, 0.2)[0]


@pytest.fixture(scope="module")
def fitted(train):
    return sg.fit("traffic-trips", train, seed=0, config=TINY)


def _tv(a: pd.Series, b: pd.Series) -> float:
    p, q = a.value_counts(normalize=True), b.value_counts(normalize=True)
    return 0.5 * float(p.subtract(q, fill_value=0).abs().sum())


def test_the_od_matrix_and_departure_profile_are_kept(fitted, train):
    out = fitted.sample(6000, seed=1).frame
    real = train.frame
    od = lambda f: f["origin"] + ">" + f["dest"]  # noqa: E731
    resample = real.sample(len(out), replace=True, random_state=0)  # 6000 real trips: the sampling-noise floor
    assert _tv(od(out), od(real)) < 1.5 * _tv(od(resample), od(real))
    assert _tv(out["dep_time"] // 60, real["dep_time"] // 60) < 1.5 * _tv(resample["dep_time"] // 60, real["dep_time"] // 60)
    shuffled = real.assign(dest=real["dest"].sample(frac=1, random_state=0).to_numpy())
    assert _tv(od(shuffled), od(real)) > 3 * _tv(od(out), od(real))  # the check can tell a broken OD matrix


def test_rare_origin_destination_times_are_generalised_or_suppressed(train):
    strict = sg.fit("traffic-trips", train, seed=0, config={**TINY, "k": 50})
    cells = pd.DataFrame(strict.cells_, columns=["o", "d", "level", "start", "count"])
    assert (cells["count"] >= 50).all()
    assert set(cells["level"]) == {0, 1, 2}  # hour cells, 4-hour blocks and whole days all occur
    out = strict.sample(3000, seed=0).frame
    pairs = train.frame.groupby(["origin", "dest"]).size()
    assert (pairs.reindex(pd.MultiIndex.from_frame(out[["origin", "dest"]])).to_numpy() >= 50).all()
    assert strict.fit_info_["trips_in_suppressed_cells"] > 0


def test_the_rest_of_the_trip_follows_its_cell(fitted):
    out = fitted.sample(3000, seed=2).frame
    jfk_lax = out[(out["origin"] == "JFK") & (out["dest"] == "LAX")]["distance"]
    assert len(jfk_lax) > 20 and abs(jfk_lax.median() - 2475) < 150  # JFK-LAX is 2475 miles


def test_same_seed_same_trips_and_a_bundle_samples_the_same(fitted, tmp_path):
    a = fitted.sample(300, seed=5).frame
    pd.testing.assert_frame_equal(a, fitted.sample(300, seed=5).frame)
    fitted.save(tmp_path / "trips")
    pd.testing.assert_frame_equal(sg.load(tmp_path / "trips").sample(300, seed=5).frame, a)


def test_impossible_trips_are_rejected_with_reasons(train, fitted):
    from synthguard import CheckContext
    from synthguard_traffic.validators import TripOrderValidator, TripSpeedValidator

    bad = train.frame.iloc[:3].copy()
    bad.loc[bad.index[0], "air_time"] = 0          # arrives as it departs
    bad.loc[bad.index[1], "distance"] = 4000        # 4000 miles in a regular air time: faster than any airliner
    records = sg.Table(bad.reset_index(drop=True), train.meta)
    ctx = CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train, domain="traffic")
    order, speed = TripOrderValidator(), TripSpeedValidator()
    order.prepare(ctx), speed.prepare(ctx)
    reasons_order = order.check(records, ctx).reasons
    reasons_speed = speed.check(records, ctx).reasons
    assert "positive time" in reasons_order[0] and reasons_order[2] is None
    assert "implied speed" in reasons_speed[1] and reasons_speed[2] is None


def test_unknown_zones_and_missing_zone_columns_are_refused(train):
    zones = sorted(set(train.frame["origin"]) | set(train.frame["dest"]) - {"LAX"})
    with pytest.raises(sg.DataError, match=r"zones \['LAX'\] that are not among"):
        sg.fit("traffic-trips", train, config={**TINY, "zones": zones})
    no_dest = sg.Table.from_frame(train.frame.drop(columns=["dest"]))
    with pytest.raises(sg.DataError, match=r"no destination column"):
        sg.fit("traffic-trips", no_dest, config=TINY)


def test_generate_trips_from_the_pretrained_bundle_with_k_anonymity(tmp_path):
    res = CliRunner().invoke(main, ["generate", "traffic-trips", "--rows", "300", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["lineage"]["pretrained"] is True
    k = report["privacy"]["core.k-anonymity"]
    assert k["applied"] is True and k["quasi_identifiers"] == ["origin", "dest", "dep_time"]
    assert len(pd.read_parquet(tmp_path / "out" / "synthetic.parquet")) == 300


def test_a_users_trip_file_gets_k_anonymity_on_where_and_when_by_default(train, tmp_path):
    trips = train.frame.rename(columns={"origin": "pickup_zone", "dest": "dropoff_zone", "dep_time": "start_time"})
    trips.iloc[:4000].to_csv(tmp_path / "trips.csv", index=False)
    res = CliRunner().invoke(main, ["generate", "traffic-trips", "--data", str(tmp_path / "trips.csv"), "--rows", "200",
                                    "--epochs", "2", "--no-audit", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    gate = report["privacy"]["core.k-anonymity"]
    assert gate["applied"] is True and gate["quasi_identifiers"] == ["pickup_zone", "dropoff_zone", "start_time"]
    assert report["validators"]["traffic.trip_speed"]["source"] == "learned"


@pytest.mark.parametrize("unit, per_minute", [("hours", 1 / 60), ("seconds", 60.0)])
def test_departures_in_hours_or_seconds_come_back_in_the_same_unit(train, unit, per_minute):
    trips = train.frame.iloc[:3000].assign(dep_time=lambda f: f["dep_time"] * per_minute)
    model = sg.fit("traffic-trips", sg.Table.from_frame(trips), seed=0, config=TINY)
    out = model.sample(500, seed=0).frame["dep_time"]
    assert out.min() >= 0 and out.max() <= 1440 * per_minute
    assert abs(out.median() - trips["dep_time"].median()) < 0.1 * 1440 * per_minute


def test_trips_too_sparse_for_any_k_anonymous_cell_are_refused_with_the_fix(flights):
    few = flights.take(np.arange(30))
    with pytest.raises(sg.DataError, match="none of the 30 trips shares its origin, destination and departure period "
                                           "with 4 others: expected more trips, or a smaller k"):
        sg.fit("traffic-trips", few, config=TINY)
