"""Hostile and careless input at the command line (issue 24): one `error:` line, exit code 2, nothing written —
and at once, before any training, not after it.

Each case runs the `synthguard` command's own entry point (`synthguard.cli.run`) in this process, so the matrix
takes seconds; tests/test_cli.py runs the installed console script in a subprocess for the same promise.
Options that would train for hours (`--epochs 100000`) show a check comes before the fit: a late check would
time the test out instead of failing in a second.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.io.readers import read_table
from synthguard.testing import one_error, synthguard

FOREVER = ["--epochs", "100000", "--device", "cpu"]  # hours of training: any check that waits for it times out


@pytest.fixture(scope="module")
def loans(tmp_path_factory) -> Path:
    """300 real rows of credit_data (Home: owner, rent...; Debt, Assets) as a user's CSV."""
    path = tmp_path_factory.mktemp("data") / "loans.csv"
    sg.Engine().dataset("credit_data").load().frame.iloc[:300].to_csv(path, index=False)
    return path


BUNDLE = str(Path(sg.Engine().dataset("german_credit").bundles()["finance"]))


def test_sample_refuses_zero_rows_and_what_memory_cannot_hold_at_once(monkeypatch, capsys, tmp_path):
    for rows, expected in [("0", "rows must be a positive integer: got 0"),
                           (str(10**12), "expected at most 100,000"),  # chunks: larger runs stream in chunks
                           (str(2**63), "expected at most 100,000")]:
        start = time.perf_counter()
        code, _, err = synthguard(monkeypatch, capsys, "sample", BUNDLE, "--rows", rows, "--out", str(tmp_path / "o"))
        one_error(code, err, expected)
        assert time.perf_counter() - start < 60  # refused, not attempted (it sat for minutes before)
        assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", [
    ["generate", "finance", "--rows", "5", "--out", "{out}"],
    ["audit", "--real", "{loans}", "--synthetic", "{loans}"],
    ["evaluate", "--real", "{loans}", "--synthetic", "{loans}", "--out", "{out}"],
], ids=["generate", "audit", "evaluate"])
def test_a_negative_seed_is_one_line(monkeypatch, capsys, tmp_path, loans, command):
    args = [a.format(loans=loans, out=tmp_path / "o") for a in command]
    code, out, err = synthguard(monkeypatch, capsys, *args, "--seed", "-1")
    one_error(code, err, "seed must be a non-negative integer: got -1")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option, expected", [
    (["--condition", "Home=ownr"], "value 'ownr' is unknown in column 'Home': expected one of 'ignore', 'other', "
                                   "'owner', 'parents', 'priv', 'rent'"),
    (["--condition", "Hme=owner"], "unknown column 'Hme'"),
    (["--condition", "Age=old"], "column 'Age' is numeric: expected a number"),
    (["--target", "Stats"], "--target Stats: unknown column 'Stats'"),
    (["--rule", "Debt <= Asets"], "names unknown column 'Asets'"),
    (["--quasi-identifiers", "Age,Jobb"], "--quasi-identifiers Jobb: unknown column 'Jobb'"),
    (["--secret", "Incme"], "--secret Incme: unknown column 'Incme'"),
    (["--bound", "Amout=0:10"], "unknown column 'Amout'"),
    (["--bound", "Age=99:18"], "bound Age=99:18: expected LOW <= HIGH"),  # no value meets it: every record rejected
    (["--bound", "Age=nan:99"], "bound Age=nan:99: expected LOW <= HIGH"),
], ids=["condition value", "condition column", "condition type", "target", "rule", "quasi-identifier", "secret",
        "bound", "bound reversed", "bound nan"])
def test_a_typo_in_an_option_is_refused_before_training(monkeypatch, capsys, tmp_path, loans, option, expected):
    start = time.perf_counter()
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", str(loans), "--rows", "5",
                              "--out", str(tmp_path / "o"), *FOREVER, *option)
    one_error(code, err, expected)
    assert time.perf_counter() - start < 120 and not (tmp_path / "o").exists()


def test_an_unknown_category_lists_the_closest_values_when_there_are_many(monkeypatch, capsys, tmp_path):
    rng = np.random.default_rng(0)
    cities = [f"city_{i:02d}" for i in range(40)]
    pd.DataFrame({"city": rng.choice(cities, 400), "amount": rng.gamma(2, 100, 400).round(2)}).to_csv(
        tmp_path / "t.csv", index=False)
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", str(tmp_path / "t.csv"),
                              "--rows", "5", "--out", str(tmp_path / "o"), *FOREVER, "--condition", "city=city_7")
    one_error(code, err, "one of the 40 values seen in training, the closest:", "'city_07'")


@pytest.mark.parametrize("frame, expected", [
    (pd.DataFrame({"age": [30], "income": [1000.0]}), "has 1 record, 1 of them distinct: too few to protect"),
    (pd.DataFrame({"age": [30, 41], "income": [1000.0, 2500.0]}), "has 2 records, 2 of them distinct"),
    (pd.DataFrame({"age": [30] * 200, "income": [1000.0] * 200}), "has 200 records, 1 of them distinct"),
    (pd.DataFrame({"age": range(20), "income": np.arange(20) * 10.0}), "expected at least 23 distinct records"),
], ids=["one row", "two rows", "all identical", "twenty rows"])
def test_a_table_too_small_to_protect_is_refused_before_training(monkeypatch, capsys, tmp_path, frame, expected):
    frame.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", str(tmp_path / "t.csv"),
                              "--rows", "5", "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, expected, "held out")
    assert not (tmp_path / "o").exists()


def test_too_few_people_for_a_holdout_is_refused(monkeypatch, capsys, tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customer": np.repeat(["a", "b", "c"], 40), "amount": rng.gamma(2, 100, 120).round(2),
                          "term": rng.choice([12, 24, 36], 120)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", str(tmp_path / "t.csv"),
                              "--entity-column", "customer", "--rows", "5", "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, "holds 3 distinct entities: too few")
    assert not (tmp_path / "o").exists()


def test_a_table_wider_than_the_limit_is_refused_with_the_limit(monkeypatch, capsys, tmp_path):
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(50, 500)).round(2), columns=[f"c{i}" for i in range(500)]).to_csv(
        tmp_path / "wide.csv", index=False)
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", str(tmp_path / "wide.csv"),
                              "--rows", "5", "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, "has 500 columns: expected at most 200")
    assert not (tmp_path / "o").exists()


def test_a_repeated_header_is_refused_naming_the_column(monkeypatch, capsys, tmp_path):
    (tmp_path / "t.csv").write_text("credit_amount,age,credit_amount\n" + "1169,67,1169\n" * 30)
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", str(tmp_path / "t.csv"),
                              "--rows", "5", "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, "repeats column name(s) 'credit_amount'")
    assert not (tmp_path / "o").exists()


def test_dates_in_mixed_or_ambiguous_layouts_are_refused(monkeypatch, capsys, tmp_path):
    for dates, expected in [(["2020-05-01", "12/01/2021", "Jan 5 2020"] * 10, "dates in more than one layout"),
                            (["05/01/2020", "12/01/2021", "03/04/2019"] * 10, "day and month order is ambiguous")]:
        pd.DataFrame({"opened": dates, "amount": np.arange(30.0)}).to_csv(tmp_path / "t.csv", index=False)
        code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", str(tmp_path / "t.csv"),
                                  "--rows", "5", "--out", str(tmp_path / "o"), *FOREVER)
        one_error(code, err, "column 'opened'", expected, "YYYY-MM-DD")
        assert not (tmp_path / "o").exists()


def test_thousands_separators_and_one_date_layout_are_read_as_numbers_and_dates(tmp_path):
    (tmp_path / "t.csv").write_text('amount,opened\n"1,169",05/31/2020\n950,12/01/2021\n"12,345.50",\n')
    frame = read_table(tmp_path / "t.csv")
    assert frame["amount"].tolist() == [1169.0, 950.0, 12345.5]
    assert frame["opened"].iloc[0] == pd.Timestamp("2020-05-31") and frame["opened"].isna().iloc[2]
    table = sg.Table.from_frame(frame)
    assert table.meta.column("amount").kind is sg.ColumnKind.numeric  # not categories that replay real values
    assert table.meta.column("opened").kind is sg.ColumnKind.datetime


def test_evaluate_scores_a_junk_column_and_writes_valid_json(monkeypatch, capsys, tmp_path, loans):
    synthetic = pd.read_csv(loans).sample(frac=1, random_state=1)
    synthetic["Amount"] = synthetic["Amount"].astype(object)
    synthetic.iloc[::3, synthetic.columns.get_loc("Amount")] = "junk"  # one third junk text
    synthetic.to_csv(tmp_path / "syn.csv", index=False)
    code, out, err = synthguard(monkeypatch, capsys, "evaluate", "--real", str(loans), "--synthetic",
                                str(tmp_path / "syn.csv"), "--out", str(tmp_path / "o"))
    assert code == 0, err

    def no_nan(token):
        raise AssertionError(f"report.json holds a bare {token}")

    report = json.loads((tmp_path / "o" / "report.json").read_text(), parse_constant=no_nan)
    quality = report["metrics"]["core.quality"]
    assert quality["columns"]["Amount"] < 0.7 and "Amount" in quality["unscored"]
    assert quality["score"] < 1.0 and f"quality {quality['score']}" in out  # it printed 1.0 before


def test_a_single_sensor_series_is_one_clear_error_in_seconds(monkeypatch, capsys, tmp_path):
    t = pd.date_range("2026-01-01", periods=200, freq="10ms")
    frame = pd.DataFrame({"entity": "only", "timestamp": t, "acc_x": np.sin(np.arange(200) / 5)})
    frame.to_csv(tmp_path / "one.csv", index=False)
    start = time.perf_counter()
    code, _, err = synthguard(monkeypatch, capsys, "generate", "sensor", "--data", str(tmp_path / "one.csv"),
                              "--rows", "3", "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, "too few to protect")
    assert time.perf_counter() - start < 120 and not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def rare_home(loans, tmp_path_factory) -> Path:
    """loans.csv where two people live in a 'houseboat': too few for value protection to release that value."""
    frame = pd.read_csv(loans)
    frame.loc[[5, 17], "Home"] = "houseboat"
    path = tmp_path_factory.mktemp("rare") / "rare.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_condition_on_a_value_protection_replaces_is_refused_before_training(monkeypatch, capsys, tmp_path,
                                                                                rare_home):
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", str(rare_home), "--rows", "5",
                              "--condition", "Home=houseboat", "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, "condition Home='houseboat'", "too few people", "expected one of 'other', 'owner'",
              "--no-value-protection")
    assert not (tmp_path / "o").exists()


def test_sample_names_value_protection_when_a_condition_asks_for_a_replaced_value(monkeypatch, capsys, tmp_path,
                                                                                   rare_home):
    code, _, err = synthguard(monkeypatch, capsys, "fit", "finance", "--data", str(rare_home), "--out",
                              str(tmp_path / "model"), "--epochs", "1", "--set", "d_model=16", "--set", "n_layers=1",
                              "--set", "n_heads=2", "--device", "cpu")
    assert code == 0, err
    start = time.perf_counter()
    code, _, err = synthguard(monkeypatch, capsys, "sample", str(tmp_path / "model"), "--rows", "5",
                              "--condition", "Home=houseboat", "--out", str(tmp_path / "o"))
    one_error(code, err, "value 'houseboat' is unknown in column 'Home'", "expected one of",
              "value protection replaced the values fewer than 5 to 7 people hold")
    assert time.perf_counter() - start < 30 and not (tmp_path / "o").exists()


def sensor_log(entities: int = 20, steps: int = 60) -> pd.DataFrame:
    t = pd.date_range("2026-01-01", periods=steps, freq="100ms")
    return pd.concat([pd.DataFrame({"entity": f"e{e}", "timestamp": t, "acc_x": np.sin(np.arange(steps) / 5 + e),
                                    "acc_y": np.cos(np.arange(steps) / 7 + e)}) for e in range(entities)],
                     ignore_index=True)


def test_sensor_time_that_restarts_within_an_entity_is_refused_before_training(monkeypatch, capsys, tmp_path):
    frame = sensor_log()
    rows = frame.index[frame["entity"] == "e3"]
    restarted = frame.loc[rows, "timestamp"].to_numpy()
    restarted[30:] = restarted[:30] + np.timedelta64(50, "ms")  # the clock restarts halfway, between old readings
    frame.loc[rows, "timestamp"] = restarted
    frame.to_csv(tmp_path / "log.csv", index=False)
    start = time.perf_counter()
    code, _, err = synthguard(monkeypatch, capsys, "generate", "sensor", "--data", str(tmp_path / "log.csv"),
                              "--entity-column", "entity", "--time-column", "timestamp", "--rows", "3",
                              "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, "entity 'e3': time 'timestamp' goes back from 2026-01-01 00:00:02.900000",
              "29 later readings fall before it", "expected one timeline per entity")
    assert time.perf_counter() - start < 120 and not (tmp_path / "o").exists()


def test_sensor_rows_out_of_order_without_a_restart_are_still_sorted():
    fmt = sg.SequenceFormat(entity="entity", time="timestamp")
    frame = sensor_log(entities=2)
    expected, _ = sg.from_long_frame(frame, fmt)
    newest_first = frame.iloc[::-1]
    swapped = frame.iloc[[1, 0, *range(2, len(frame))]]
    for log in (newest_first, swapped):
        records, notes = sg.from_long_frame(log, fmt)
        order = [list(records.entity_ids).index(e) for e in expected.entity_ids]  # newest first: e1 comes first
        np.testing.assert_array_equal(records.values[order], expected.values)
        assert "sorted_by_time" in notes


@pytest.mark.parametrize("name", ["scan.png", "scan.dcm"])
def test_one_image_file_is_one_error_before_training(monkeypatch, capsys, tmp_path, name):
    from PIL import Image

    path = tmp_path / name
    Image.fromarray(np.zeros((32, 32), dtype=np.uint8)).save(path, format="PNG")  # a .dcm that is not DICOM alike
    code, _, err = synthguard(monkeypatch, capsys, "generate", "imaging", "--data", str(path), "--rows", "2",
                              "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, f"data {str(path)!r} is a single file", "expected a folder of DICOM/PNG/JPEG images")
    assert not (tmp_path / "o").exists()


def test_images_of_mixed_sizes_are_resized_to_one_size_then_judged_before_training(monkeypatch, capsys, tmp_path):
    from PIL import Image

    folder = tmp_path / "scans"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        shape = (32, 32) if i % 2 else (48, 40)
        Image.fromarray((rng.random(shape) * 255).astype(np.uint8)).save(folder / f"img{i:02d}.png")
    images = sg.Engine().to_records(folder, modality="image")
    assert len({im.shape for im in images.images}) == 1  # one size: the documented resize, not an error
    code, _, err = synthguard(monkeypatch, capsys, "generate", "imaging", "--data", str(folder), "--rows", "2",
                              "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, "12 records", "too few to protect")
    assert not (tmp_path / "o").exists()


def _sensor_csv(tmp_path: Path, frame: pd.DataFrame | None = None) -> str:
    path = tmp_path / "log.csv"
    (sensor_log() if frame is None else frame).to_csv(path, index=False)
    return str(path)


def test_a_second_clock_among_the_sensor_channels_is_named_not_a_traceback(monkeypatch, capsys, tmp_path):
    frame = sensor_log().assign(logged_at=lambda f: f["timestamp"])  # a second timestamp column: not a reading
    code, _, err = synthguard(monkeypatch, capsys, "generate", "sensor", "--data", _sensor_csv(tmp_path, frame),
                              "--entity-column", "entity", "--time-column", "timestamp", "--rows", "3",
                              "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, "channel 'logged_at' holds timestamps: expected numeric readings")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("generator, reads", [("finance", "a table generator reads a CSV or Parquet file"),
                                              ("sensor", "a sequence generator reads a long-format CSV/Parquet log")])
def test_a_folder_given_to_a_table_or_sequence_generator_says_what_it_reads(monkeypatch, capsys, tmp_path,
                                                                           generator, reads):
    from PIL import Image

    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((16, 16), i * 40, dtype=np.uint8)).save(folder / f"img{i}.png")
    code, _, err = synthguard(monkeypatch, capsys, "generate", generator, "--data", str(folder), "--rows", "3",
                              "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, f"data {str(folder)!r} is a folder: {reads}")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option, expected", [
    (["--rule", "acc_x <= 0"], "--rule applies to tables: the data is sequence records"),
    (["--quasi-identifiers", "acc_x"], "--quasi-identifiers applies to tables: the data is sequence records"),
    (["--secret", "acc_x"], "--secret applies to tables: the data is sequence records"),
    (["--target", "nope"], "--target nope: unknown static attribute or channel 'nope': expected one of acc_x, acc_y"),
], ids=["rule", "quasi-identifiers", "secret", "target"])
def test_table_options_on_sensor_records_are_refused_not_ignored(monkeypatch, capsys, tmp_path, option, expected):
    code, _, err = synthguard(monkeypatch, capsys, "generate", "sensor", "--data", _sensor_csv(tmp_path),
                              "--entity-column", "entity", "--time-column", "timestamp", *option, "--rows", "3",
                              "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, expected)
    assert not (tmp_path / "o").exists()


def test_sensor_records_to_a_database_are_refused_before_training(monkeypatch, capsys, tmp_path):
    code, _, err = synthguard(monkeypatch, capsys, "generate", "sensor", "--data", _sensor_csv(tmp_path),
                              "--entity-column", "entity", "--time-column", "timestamp", "--rows", "3",
                              "--out", f"sqlite:///{tmp_path / 'out.db'}", *FOREVER)
    one_error(code, err, "sequence records cannot go to a database: expected a table")
    assert not (tmp_path / "out.db").exists()


def test_one_column_conditioned_twice_is_refused_rather_than_the_last_winning(monkeypatch, capsys, tmp_path):
    code, _, err = synthguard(monkeypatch, capsys, "sample", BUNDLE, "--rows", "5", "--out", str(tmp_path / "o"),
                              "--condition", "job=skilled", "--condition", "job=unskilled")
    one_error(code, err, "condition 'job' given twice ('skilled', 'unskilled'): expected one value per name")
    assert not (tmp_path / "o").exists()


def test_sample_refuses_a_reference_table_that_is_not_the_models(monkeypatch, capsys, tmp_path, loans):
    code, _, err = synthguard(monkeypatch, capsys, "sample", BUNDLE, "--rows", "5", "--reference", str(loans),
                              "--out", str(tmp_path / "o"))  # credit_data's rows against a german_credit bundle
    one_error(code, err, "the real records lack the model's columns", "expected the table the model learned")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("generator, setting", [("sensor", "hidden=1000000000"), ("finance", "d_model=100000")])
def test_a_network_too_big_for_any_machine_is_refused_not_run_out_of_memory(monkeypatch, capsys, tmp_path,
                                                                            generator, setting):
    code, _, err = synthguard(monkeypatch, capsys, "generate", generator, "--set", setting, "--rows", "5",
                              "--out", str(tmp_path / "o"))  # it used to allocate until the kernel killed it
    one_error(code, err, f"option '{setting.split('=')[0]}': Input should be less than or equal to 2048")
    assert not (tmp_path / "o").exists()


def test_a_condition_outside_a_numeric_columns_range_is_refused_before_training(monkeypatch, capsys, tmp_path, loans):
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", str(loans), "--condition",
                              "Age=1000", "--rows", "5", "--out", str(tmp_path / "o"), *FOREVER)
    one_error(code, err, "condition Age=1000: column 'Age' is numeric: expected a number between 19 and 68")
    assert not (tmp_path / "o").exists()  # it trained, then said no draw passed and to retrain


def test_an_image_label_condition_the_images_never_carry_is_refused_before_training(monkeypatch, capsys, tmp_path):
    from PIL import Image

    folder = tmp_path / "scans"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(40):
        Image.fromarray((rng.random((16, 16)) * 255).astype(np.uint8)).save(folder / f"im{i}.png")
    pd.DataFrame({"file": [f"im{i}.png" for i in range(40)], "kind": ["a", "b"] * 20}).to_csv(
        tmp_path / "labels.csv", index=False)
    for condition, expected in [("kind=zzz", "value 'zzz' is unknown in column 'kind': expected one of 'a', 'b'"),
                                ("nope=1", "cannot condition on 'nope': expected one of the image labels")]:
        code, _, err = synthguard(monkeypatch, capsys, "generate", "imaging", "--data", str(folder), "--labels",
                                  str(tmp_path / "labels.csv"), "--condition", condition, "--rows", "5",
                                  "--out", str(tmp_path / "o"), *FOREVER)
        one_error(code, err, expected)
        assert not (tmp_path / "o").exists()


def test_a_sequence_run_that_rejects_nothing_writes_rejected_in_its_records_format(tmp_path):
    result = sg.generate("traffic", rows=3, seed=0)
    assert result.report["sampling"]["rejected"] == 0  # the shipped traffic bundle rejects none of 3 days at seed 0
    result.save(tmp_path / "o")
    with np.load(tmp_path / "o" / "rejected.npz") as rejected, np.load(tmp_path / "o" / "synthetic.npz") as synthetic:
        assert rejected["values"].shape == (0, *synthetic["values"].shape[1:])
        assert {"_stage", "_checks", "_reason"} <= set(rejected.files)
    assert not (tmp_path / "o" / "rejected.parquet").exists()


def test_a_thorough_audit_of_an_unknown_generator_is_refused_before_the_audit(monkeypatch, capsys, tmp_path, loans):
    code, _, err = synthguard(monkeypatch, capsys, "audit", "--real", str(loans), "--synthetic", str(loans),
                              "--thorough", "--generator", "nope")  # it audited first, then printed a stray line
    one_error(code, err, "thorough audit: unknown generator 'nope': expected one of")


@pytest.mark.parametrize("option, expected", [
    (["--rule", "distance <= air_time"], "--rule: no active check of table records of domain 'traffic' applies rules"),
    (["--bound", "distance=0:5000"], "--bound distance: trips take one declared bound, implied_speed=LOW:HIGH"),
], ids=["rule", "bound"])
def test_a_rule_or_bound_no_check_of_the_records_applies_is_refused_not_ignored(monkeypatch, capsys, tmp_path, option,
                                                                              expected):
    code, _, err = synthguard(monkeypatch, capsys, "generate", "traffic-trips", *option, "--rows", "5",
                              "--out", str(tmp_path / "o"), *FOREVER)  # both were silently ignored
    one_error(code, err, expected)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option", [["--set", "epochs=abc", "--epochs", "1"], ["--set", "epsilon=1", "--epsilon", "2"]],
                         ids=["epochs", "epsilon"])
def test_a_setting_given_twice_under_two_options_is_refused(monkeypatch, capsys, tmp_path, option):
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", *option, "--rows", "5",
                              "--out", str(tmp_path / "o"))  # --epochs won silently over an invalid --set epochs
    one_error(code, err, f"both set {option[1].split('=')[0]}: expected one of them")
    assert not (tmp_path / "o").exists()


def test_a_synthetic_database_without_its_table_names_the_option_it_needs(monkeypatch, capsys, tmp_path, loans):
    code, _, err = synthguard(monkeypatch, capsys, "evaluate", "--real", str(loans), "--synthetic",
                              f"sqlite:///{tmp_path / 'syn.db'}", "--out", str(tmp_path / "o"))
    one_error(code, err, "is a database: expected --synthetic-table NAME")  # it suggested --table, which is --real's
    assert not (tmp_path / "o").exists()


def test_an_image_size_out_of_range_names_the_option(monkeypatch, capsys, tmp_path):
    code, _, err = synthguard(monkeypatch, capsys, "generate", "imaging", "--image-size", "0", "--rows", "5",
                              "--out", str(tmp_path / "o"))
    one_error(code, err, "--image-size", "0 is not in the range 8<=x<=1024")  # it named "option 'size'"
    assert not (tmp_path / "o").exists()


def test_a_calendar_condition_no_training_day_matches_is_refused_before_training(monkeypatch, capsys, tmp_path):
    code, _, err = synthguard(monkeypatch, capsys, "generate", "traffic", "--condition", "date=2030-01-01",
                              "--rows", "5", "--out", str(tmp_path / "o"), *FOREVER)  # it trained, then refused
    one_error(code, err, "no training record starts on a day matching {'date': '2030-01-01'}",
              "expected dates the training data covers (2011-")
    assert not (tmp_path / "o").exists()
