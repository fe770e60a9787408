"""Value protection: a value only a few people hold never reaches a generator.

The story: a lender shares synthetic loan applications. Its table has job titles typed by hand (most held
by one applicant), an income column with a millionaire in it, a customer number and a row id. Before any
generator sees the table, :func:`synthguard.privacy.protect` replaces every category fewer than k people
hold, clips the ends of every range to values k people hold, and drops the identifiers, and says what it
did. The tables below are made up here (generated, not real); the last tests run on real reference data.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.baselines import GaussianCopulaGenerator
from synthguard.errors import ConfigError, DataError
from synthguard.privacy import RARE_MARKER, ValueProtection, identifier_like_name, protect, protect_frame

N = 300


def applications(seed: int = 0) -> pd.DataFrame:
    """Made-up loan applications, one row per applicant, with planted rare values."""
    rng = np.random.default_rng(seed)
    common = ["teacher", "nurse", "driver", "manager", "clerk"]
    titles = list(rng.choice(common, N))
    titles[:40] = [f"unique title {i}" for i in range(40)]           # 40 titles held by one applicant each
    titles[40:45] = ["pilot"] * 5                                    # one title held by exactly 5 applicants
    income = rng.lognormal(10.5, 0.4, N).round(0)
    income[100] = 12_000_000.0                                       # the millionaire
    income[101] = 5.0                                                # an implausibly small income
    income[rng.random(N) < 0.05] = np.nan
    return pd.DataFrame({
        "customer_number": rng.permutation(np.arange(10_000, 10_000 + N)),
        "uuid": [f"{rng.integers(0, 2**63):x}" for _ in range(N)],
        "job_title": titles,
        "income": income,
        "age": rng.integers(18, 70, N),
        "amount": rng.integers(1_000, 1_000_000, N),                # mostly unique whole numbers, not an identifier
        "opened": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, N), unit="D"),
        "home": rng.choice(["rent", "own", "mortgage"], N),
        "status": rng.choice(["good", "bad"], N),
        "insured": rng.random(N) < 0.5,
    })


def holders(frame: pd.DataFrame, column: str, entities=None) -> pd.Series:
    """Distinct entities holding each value of ``column``."""
    ent = np.arange(len(frame)) if entities is None else np.asarray(entities)
    pairs = pd.DataFrame({"v": frame[column].to_numpy(), "e": ent}).dropna().drop_duplicates()
    return pairs["v"].value_counts()


@pytest.fixture(scope="module")
def table() -> sg.Table:
    return sg.Table.from_frame(applications(), name="applications")


def test_a_job_title_only_one_person_has_never_survives(table):
    for seed in range(10):  # the threshold is random: every draw must hold
        protected, report = protect(table, seed=seed)
        titles = set(protected.frame["job_title"])
        assert not any(t.startswith("unique title") for t in titles)
        assert RARE_MARKER in titles  # 40 people share the marker: it is a category of its own
        pilots_rare = "pilot" not in titles  # 5 people: rare when the drawn threshold is 6 or 7
        assert (protected.frame["job_title"] == RARE_MARKER).sum() == 40 + 5 * pilots_rare
        assert report["columns"]["job_title"]["cells_replaced"] == 40 + 5 * pilots_rare
        assert report["columns"]["job_title"]["action"] == "rare_to_marker"


def test_a_lone_rare_category_is_not_just_renamed():
    frame = applications()
    frame["home"] = frame["home"].where(np.arange(N) != 7, "houseboat")  # one person lives on a houseboat
    protected, report = protect(sg.Table.from_frame(frame), seed=0)
    home = protected.frame["home"]
    # a marker held by one person would single them out as surely as "houseboat": they get a common value
    assert "houseboat" not in set(home) and RARE_MARKER not in set(home)
    assert home[7] in {"rent", "own", "mortgage"}
    assert report["columns"]["home"]["action"] == "rare_to_safe_values"
    assert report["columns"]["home"]["cells_replaced"] == 1


def test_a_title_shared_by_k_people_survives_but_one_person_repeating_it_does_not():
    frame = applications()
    entities = np.arange(N)
    frame.loc[50:54, "job_title"] = "diver"  # five rows...
    entities[50:55] = 50                     # ...of one person with five loans
    table = sg.Table.from_frame(frame)
    protected, report = protect(table, entities=entities, k=5, settings={"k_noise": 0})
    titles = set(protected.frame["job_title"])
    assert "pilot" in titles      # five people
    assert "diver" not in titles  # five rows, one person
    assert report["entities"] == N - 4 and report["entities_given"] is True
    # without the entity ids each row counts as a person, and "diver" would pass
    assert "diver" in set(protect(table, k=5, settings={"k_noise": 0})[0].frame["job_title"])


def test_the_random_threshold_keeps_what_k_plus_noise_people_share_and_drops_what_fewer_than_k_share():
    frame = applications()
    frame.loc[60:63, "job_title"] = "baker"     # 4 people: below k = 5, never kept
    frame.loc[70:76, "job_title"] = "plumber"   # 7 people: k + k_noise, always kept
    table = sg.Table.from_frame(frame)
    kept_pilot = set()
    for seed in range(30):
        titles = set(protect(table, seed=seed)[0].frame["job_title"])
        assert "baker" not in titles and "plumber" in titles
        kept_pilot.add("pilot" in titles)
    assert kept_pilot == {True, False}  # 5 people: sometimes above the drawn threshold, sometimes not


def test_extreme_incomes_are_clipped_to_values_k_people_hold(table):
    protected, report = protect(table, seed=3)
    before, after = table.frame["income"], protected.frame["income"]
    assert after.max() < 12_000_000 and after.min() > 5
    for end in (after.max(), after.min()):
        assert (after == end).sum() >= 5  # each end is shared by at least k people
    assert after.max() in set(before) and after.min() in set(before)  # bounds are real values, not invented ones
    inside = before.between(after.min(), after.max())
    pd.testing.assert_series_equal(after[inside], before[inside])  # nothing inside the range moves
    info = report["columns"]["income"]
    assert info["action"] == "clipped" and info["cells_clipped"] == int((~inside & before.notna()).sum()) >= 2
    assert info["bounds"] == [after.min(), after.max()]
    # whole numbers stay whole numbers of the same dtype, dates stay dates
    assert protected.frame["age"].dtype == table.frame["age"].dtype == np.int64
    assert protected.frame["opened"].dtype == table.frame["opened"].dtype
    opened = protected.frame["opened"]
    assert (opened == opened.max()).sum() >= 5 and (opened == opened.min()).sum() >= 5


def test_missing_values_are_left_where_they_are(table):
    protected, _ = protect(table, seed=0)
    for col in protected.meta.names:
        assert (protected.frame[col].isna() == table.frame[col].isna()).all(), col


def test_identifier_columns_are_dropped_and_listed(table):
    protected, report = protect(table, seed=0)
    dropped = {d["column"] for d in report["dropped"]}
    assert dropped == {"customer_number", "uuid"}
    assert "customer_number" not in protected.meta.names and "uuid" not in protected.meta.names
    assert "amount" in protected.meta.names  # mostly unique whole numbers, but neither named nor numbering rows
    assert report["dropped_note"] == "identifier columns are not modelled"
    assert all(d["cells"] == N for d in report["dropped"])
    # a row number that is no longer contiguous (the holdout took some rows) is still an identifier
    frame = applications().assign(row=np.arange(N) * 3 // 2)
    assert "row" in {d["column"] for d in protect(sg.Table.from_frame(frame))[1]["dropped"]}
    assert "row" in protect(sg.Table.from_frame(frame), settings={"drop_identifiers": False})[0].meta.names


@pytest.mark.parametrize("name, expected", [("id", True), ("customer_id", True), ("customerId", True),
                                            ("UUID", True), ("rownames", True), ("idle_days", False),
                                            ("paid", False), ("grid_cell", False), ("valid", False)])
def test_identifier_like_names(name, expected):
    assert identifier_like_name(name) is expected


def test_free_text_keeps_only_a_safe_vocabulary():
    rng = np.random.default_rng(1)
    n = 2000
    # made-up job titles with a long tail: a few hundred shared ones, most typed by one person only
    shared = [f"title {i}" for i in range(300)]
    weights = 1 / np.arange(1, 301)
    titles = rng.choice(shared, n, p=weights / weights.sum()).astype(object)
    own = rng.random(n) < 0.4
    titles[own] = [f"own title {i}" for i in range(own.sum())]
    frame = pd.DataFrame({"emp_title": titles, "income": rng.lognormal(10, 0.5, n)})
    protected, report = protect(sg.Table.from_frame(frame), seed=0)
    info = report["columns"]["emp_title"]
    counts = holders(protected.frame, "emp_title")
    vocabulary = counts.drop(RARE_MARKER)
    assert (vocabulary >= 5).all()  # every surviving title is held by at least k people
    assert info["free_text"] is True and info["safe_vocabulary"] == len(vocabulary) > 10
    assert info["values_replaced"] == info["distinct_before"] - info["safe_vocabulary"] >= own.sum()
    assert info["cells_replaced"] == counts[RARE_MARKER] == (~frame["emp_title"].isin(vocabulary.index)).sum()
    assert not protected.frame["emp_title"].str.startswith("own title").any()


def test_a_free_text_column_too_wide_for_a_table_is_protected_from_a_frame():
    rng = np.random.default_rng(2)
    n = 12_000
    notes = np.array([f"note {i}" for i in range(n)], dtype=object)
    notes[: n // 2] = rng.choice(["ok", "late once", "paid early"], n // 2)
    frame = pd.DataFrame({"note": notes, "amount": rng.normal(1000, 100, n)})
    with pytest.raises(DataError, match="distinct values"):
        sg.Table.from_frame(frame)
    protected, report = protect_frame(frame, name="notes", seed=0)
    assert set(protected.frame["note"]) == {"ok", "late once", "paid early", RARE_MARKER}
    assert report["columns"]["note"]["safe_vocabulary"] == 3


def test_a_boolean_only_a_few_people_have_takes_the_common_value():
    frame = applications()
    frame["bankrupt"] = np.arange(N) < 3  # three people went bankrupt
    protected, report = protect(sg.Table.from_frame(frame), seed=0)
    assert not protected.frame["bankrupt"].any() and protected.frame["bankrupt"].dtype == bool
    assert protected.meta.column("bankrupt").categories == [False]
    assert report["columns"]["bankrupt"]["cells_replaced"] == 3


def test_the_protected_table_has_consistent_metadata_and_fits_a_generator(table):
    protected, _ = protect(table, seed=0)
    assert protected.meta == sg.Table.from_frame(protected.frame, name="applications").meta
    job = protected.meta.column("job_title")
    assert RARE_MARKER in job.categories and not any(c.startswith("unique") for c in job.categories)
    income = protected.meta.column("income")
    assert income.maximum == protected.frame["income"].max() < 12_000_000
    model = GaussianCopulaGenerator().fit(protected, seed=0)
    synthetic = model.sample(500, seed=0)
    assert len(synthetic) == 500 and synthetic.meta.names == protected.meta.names
    assert set(synthetic.frame["job_title"].dropna()) <= set(job.categories)  # no rare title can come out
    assert synthetic.frame["income"].max() <= income.maximum


def test_the_report_is_json_and_names_no_rare_value(table):
    _, report = protect(table, seed=0)
    text = json.dumps(report)
    assert json.loads(text) == report
    assert "unique title" not in text and "12000000" not in text
    assert report["settings"]["k"] == 5 and report["threshold"] == {**report["threshold"], "low": 5, "high": 7}
    summary = report["summary"]
    assert summary["cells_changed"] == summary["cells_replaced"] + summary["cells_clipped"] + summary["cells_dropped"]
    assert summary["cells_dropped"] == 2 * N and summary["cells_replaced"] >= 40


def test_same_seed_same_table(table):
    a, ra = protect(table, seed=4)
    b, rb = protect(table, seed=4)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert ra == rb


def test_refusals_name_the_problem(table):
    with pytest.raises(DataError, match="entity ids for 300 rows"):
        protect(table, entities=np.arange(10))
    with pytest.raises(DataError, match="at least 14 entities"):
        protect(table, entities=np.arange(N) % 10)
    with pytest.raises(DataError, match="unknown column"):
        protect(table, settings={"exclude": ["nope"]})
    with pytest.raises(ConfigError):
        protect(table, k=0)
    kept, report = protect(table, settings=ValueProtection(exclude=["job_title"]))
    assert "unique title 3" in set(kept.frame["job_title"]) and report["columns"]["job_title"]["action"] == "excluded"


@pytest.mark.parametrize("dataset", ["credit_data", "lending_club"])
def test_on_real_loans_every_value_left_is_held_by_k_people(dataset):
    real = sg.Engine().dataset(dataset).load()
    protected, report = protect(real, k=5, settings={"k_noise": 0})
    for col in protected.meta.columns:
        values = protected.frame[col.name].dropna()
        counts = values.value_counts()
        if col.kind.value in ("categorical", "boolean"):
            assert (counts >= 5).all(), col.name
        else:  # each end of the range is held by k rows
            assert counts[values.max()] >= 5 and counts[values.min()] >= 5, col.name
    assert protected.meta == sg.Table.from_frame(protected.frame, name=real.meta.name).meta
    assert 0 < report["summary"]["cells_changed"] < 0.01 * report["summary"]["cells"]
