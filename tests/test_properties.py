"""Property-based tests (hypothesis): whatever small table a user hands over — mixed types, NaN and inf, unicode
and hostile names and values, duplicated rows, constant columns, one to three rows — SynthGuard answers with a
valid result or one clear error, never a traceback; and the gate never releases an exact copy of a real row.

Each table goes the user's way: written to CSV, read by the readers, fitted (the test-copycat generator: one
pass, and a third of its rows are verbatim training rows, so the gate has copies to stop), sampled, gated,
measured and written (report.json must be valid JSON). Example counts and deadlines keep the file to about a
minute on two busy cores.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from synthguard.io.readers import read_table

from toy import toy_plugin

HOSTILE_NAMES = ["<script>alert(1)</script>", "=HYPERLINK(\"x\")", "_stage", "_reason", "naïve ünïcødé", "名前",
                 "a b", "1,169", "  padded  ", "emoji 🙂"]
HOSTILE_VALUES = ["=cmd|' /C calc'!A0", "<img src=x onerror=alert(1)>", "1,169", "2020-01-05", "05/01/2020",
                  "", " ", "NaN", "inf", "名", "🙂", "\"quoted\"", "a\nb"]

names = st.one_of(st.sampled_from(HOSTILE_NAMES),
                  st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=8))


@st.composite
def columns(draw, n: int) -> list:
    kind = draw(st.sampled_from(["int", "float", "text", "bool", "constant", "date"]))
    if kind == "int":
        return draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n))
    if kind == "float":
        return draw(st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan")),
                                       st.just(float("inf"))), min_size=n, max_size=n))
    if kind == "text":
        return draw(st.lists(st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=5)), min_size=n, max_size=n))
    if kind == "bool":
        return draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if kind == "date":
        return draw(st.lists(st.dates().map(str), min_size=n, max_size=n))
    return [draw(st.sampled_from(["EUR", 0, 1.5, True]))] * n


@st.composite
def tables(draw) -> pd.DataFrame:
    """1-3 rows, or 20-40 rows with duplicated ones; 1-4 columns of mixed kinds under unicode or hostile names."""
    n = draw(st.one_of(st.integers(1, 3), st.integers(25, 40), st.integers(25, 40)))
    header = draw(st.lists(names, min_size=1, max_size=4, unique_by=lambda s: s.strip()))
    frame = pd.DataFrame({name: draw(columns(n)) for name in header})
    if n > 3 and draw(st.booleans()):  # repeat some rows: the same person twice
        frame = pd.concat([frame, frame.iloc[: n // 3]], ignore_index=True)
    return frame


def is_one_line(err: Exception) -> bool:
    text = str(err)
    return bool(text.strip()) and "\n" not in text and "Traceback" not in text


@settings(max_examples=40, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(frame=tables())
def test_the_readers_give_a_table_or_one_clear_error(tmp_path_factory, frame):
    path = tmp_path_factory.mktemp("p") / "t.csv"
    frame.to_csv(path, index=False)
    try:
        table = sg.Table.from_frame(read_table(path), name="t")
    except sg.SynthGuardError as err:
        assert is_one_line(err), repr(str(err))
        return
    assert len(table) == len(frame) and table.meta.names == [str(c) for c in read_table(path).columns]


@settings(max_examples=12, deadline=60_000, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(frame=tables())
def test_generate_gives_a_valid_result_or_one_error_and_never_an_exact_copy(tmp_path_factory, frame):
    folder = tmp_path_factory.mktemp("g")
    frame.to_csv(folder / "t.csv", index=False)
    engine = sg.Engine(plugins=[toy_plugin])
    try:
        result = engine.generate("test-copycat", 20, data=folder / "t.csv", out=folder / "out", seed=0,
                                 options={"max_rounds": 3})
    except sg.SynthGuardError as err:
        assert is_one_line(err), repr(str(err))
        assert not (folder / "out").exists()  # a failed run writes nothing
        event(f"refused: {type(err).__name__}")
        return
    event("delivered")
    real = sg.Table.from_frame(read_table(folder / "t.csv"), name="t")
    delivered = sg.Table(result.data, result.records.meta)
    real_rows = sg.Table(real.frame[delivered.meta.names], delivered.meta)
    assert not np.isin(delivered.record_hashes(), real_rows.record_hashes()).any(), "the gate released a real row"
    report = json.loads((folder / "out" / "report.json").read_text(),
                        parse_constant=lambda token: pytest.fail(f"report.json holds a bare {token}"))
    assert report["rows"] == 20 and len(result.data) == 20
