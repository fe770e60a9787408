"""Tables larger than memory: ``--data-sample ROWS`` reads a uniform sample of a file or database table as it streams.

The data is the finance plugin's real credit_data table (4,454 applicants) and the sensor plugin's basic_motions
recordings, written out as a user's files; batches are made small so that a few thousand rows stream past in many.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

import synthguard as sg
from synthguard.io.sampled import BottomK


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    return sg.datasets()["credit_data"].load().frame


@pytest.fixture(scope="module")
def credit_files(credit, tmp_path_factory):
    folder = tmp_path_factory.mktemp("credit")
    credit.to_parquet(folder / "credit.parquet", index=False)
    credit.to_csv(folder / "credit.csv", index=False)
    con = sqlite3.connect(folder / "bank.db")
    credit.to_sql("applicants", con, index=False)
    con.close()
    return folder


def _rows(frame: pd.DataFrame) -> set[tuple]:
    cells = frame.astype(object).where(frame.notna(), "missing")  # None (Parquet, SQL) and NaN alike
    return set(cells.astype(str).itertuples(index=False, name=None))


def test_a_parquet_file_is_sampled_uniformly_as_it_streams_and_the_seed_not_the_batch_size_decides(credit,
                                                                                                    credit_files):
    source = sg.SampledSource(credit_files / "credit.parquet", rows=1000, seed=4, batch_rows=300)
    sample = source.read()
    assert len(sample) == 1000 and list(sample.columns) == list(credit.columns)
    assert source.info["of_rows"] == len(credit) and source.info["batches"] == 15  # 4,454 rows in batches of 300
    assert _rows(sample) <= _rows(credit)  # real rows, untouched
    assert sample.dtypes.equals(credit.dtypes)
    same = sg.SampledSource(credit_files / "credit.parquet", rows=1000, seed=4, batch_rows=4000).read()
    pd.testing.assert_frame_equal(sample, same)
    other = sg.SampledSource(credit_files / "credit.parquet", rows=1000, seed=5, batch_rows=300).read()
    assert len(_rows(other) & _rows(sample)) < 500  # another seed, another sample (≈ 1000²/4454 ≈ 225 shared)


def test_the_sample_is_uniform_over_the_whole_file_not_its_first_batches(credit, credit_files):
    sample = sg.SampledSource(credit_files / "credit.parquet", rows=1000, seed=0, batch_rows=256).read()
    positions = credit.reset_index().merge(sample.drop_duplicates(), how="inner")["index"]
    assert positions.min() < 250 and positions.max() > len(credit) - 250
    quarters = np.histogram(positions, bins=4, range=(0, len(credit)))[0]
    assert quarters.min() > 180  # 250 expected in each quarter of the file


def test_a_csv_sample_is_typed_as_a_whole_read_of_the_file_would_be(credit_files):
    whole = sg.Engine().to_records(credit_files / "credit.csv").frame
    sample = sg.SampledSource(credit_files / "credit.csv", rows=700, seed=1, batch_rows=500).read()
    assert sample.dtypes.equals(whole.dtypes)
    parquet = sg.SampledSource(credit_files / "credit.parquet", rows=700, seed=1, batch_rows=500).read()
    assert _rows(sample) == _rows(parquet)  # the same rows, whatever the file type


def test_memory_holds_the_sample_and_a_batch_never_the_table():
    seen: list[int] = []  # what a progress display is told after every batch
    keeper, batch = BottomK(rows=500, seed=0, on_batch=seen.append), 1000
    most = 0
    for start in range(0, 100_000, batch):
        keeper.offer(pd.DataFrame({"x": np.arange(start, start + batch)}))
        most = max(most, keeper._held)
    assert most <= 2 * 500 + batch
    assert len(keeper.result()) == 500 and keeper.info["of_rows"] == 100_000
    assert seen == list(range(1000, 100_001, 1000))


def test_people_are_sampled_whole_with_an_entity_column(credit, credit_files, tmp_path):
    loans = credit.assign(customer=np.arange(len(credit)) // 3)  # three applications per customer
    loans.to_parquet(tmp_path / "loans.parquet", index=False)
    source = sg.SampledSource(tmp_path / "loans.parquet", rows=600, seed=2, entity="customer", batch_rows=200)
    sample = source.read()
    per_customer = sample.groupby("customer").size()
    assert per_customer.equals(loans.groupby("customer").size()[per_customer.index])  # every row of each
    assert 600 <= len(sample) < 603
    assert source.info["unit"] == "entity column 'customer'" and source.info["units"] == len(per_customer)


def test_a_database_table_is_sampled_while_its_rows_stream_and_keeps_its_column_types(credit, credit_files):
    db = sg.Database(f"sqlite:///{credit_files / 'bank.db'}", table="applicants")
    source = sg.SampledSource(db, rows=800, seed=3)
    sample = source.read()
    assert len(sample) == 800 and source.info["of_rows"] == len(credit)
    assert _rows(sample) <= _rows(credit)
    assert str(sample["Seniority"].dtype).startswith("int") and sample["Status"].dtype == object


def test_a_sensor_log_is_sampled_by_recording(tmp_path):
    log = sg.to_long_frame(sg.datasets()["basic_motions"].load())
    log.to_parquet(tmp_path / "log.parquet", index=False)
    recordings = sg.Engine().to_records(sg.SampledSource(tmp_path / "log.parquet", rows=2000, batch_rows=700),
                                        modality="sequence", sequence_format={"time": "step"})
    assert len(recordings.values) == 20  # 100 readings a recording: whole recordings, not 2,000 loose rows
    assert recordings.values.shape[1] == 100


def test_generate_from_a_sample_says_so_on_screen_and_in_the_report(credit, credit_files, tmp_path, cli):
    out = tmp_path / "out"
    proc = cli("generate", "finance-gaussian-copula", "--data", str(credit_files / "credit.parquet"),
               "--data-sample", "1500", "--rows", "50", "--out", str(out), "--override-audit", "a test of reading")
    assert proc.returncode == 0, proc.stderr
    assert f"read a uniform sample of 1,500 of the data's {len(credit):,} rows" in proc.stdout
    report = json.loads((out / "report.json").read_text())
    source = report["lineage"]["data_source"]
    assert source["records"] == 1500 and source["sample"]["of_rows"] == len(credit)
    assert "a uniform sample of 1,500 of its 4,454 rows" in (out / "report.html").read_text()


def test_a_sample_of_something_that_is_not_a_streamed_table_is_refused_before_anything_runs(tmp_path, cli):
    out = tmp_path / "out"
    proc = cli("generate", "finance", "--dataset", "credit_data", "--data-sample", "100", "--out", str(out))
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        "error: --data-sample samples --data: expected a CSV/Parquet file or a database URL as --data"]
    assert not out.exists()
    with pytest.raises(sg.ConfigError, match="a DataFrame is already in memory"):
        sg.SampledSource(pd.DataFrame({"a": [1]}), rows=1)
    with pytest.raises(sg.ConfigError, match="at least 1"):
        sg.SampledSource("x.csv", rows=0)
