"""The containers validate their input and name what is wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthguard import DataError, ImageSet, SequenceSet, Table


def test_table_learns_column_kinds(mixed_frame):
    meta = Table.from_frame(mixed_frame).meta
    kinds = {c.name: c.kind.value for c in meta.columns}
    assert kinds == {"age": "numeric", "income": "numeric", "balance": "numeric", "segment": "categorical",
                     "active": "boolean", "opened": "datetime"}
    assert meta.column("age").integer and meta.column("income").nullable
    assert meta.column("segment").categories == ["business", "private", "retail"]


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame(), "has no columns"),
    (pd.DataFrame({"a": []}), "is empty"),
    (pd.DataFrame({"a": [np.nan, np.nan]}), "column 'a' is entirely missing"),
    (pd.DataFrame({"a": [1.0, np.inf]}), "column 'a' holds inf"),
    (pd.DataFrame({"id": [f"c{i}" for i in range(100_000)]}), "column 'id' has 100000 distinct values"),
    (pd.DataFrame([[1, 2]], columns=["a", "a"]), "repeats column name"),
])
def test_bad_tables_are_refused_with_the_column_named(frame, message):
    with pytest.raises(DataError, match=message):
        Table.from_frame(frame)


def test_a_constant_column_is_kept():
    meta = Table.from_frame(pd.DataFrame({"currency": ["EUR"] * 5, "x": range(5)})).meta
    assert meta.column("currency").constant


def test_equal_records_hash_equal_across_int_and_float():
    a = Table.from_frame(pd.DataFrame({"x": [1, 2], "c": ["u", "v"]}))
    b = Table(pd.DataFrame({"x": [1.0, 3.0], "c": ["u", "v"]}), a.meta)
    ha, hb = a.record_hashes(), b.record_hashes()
    assert ha[0] == hb[0] and ha[1] != hb[1]


def test_table_take_and_concat_keep_meta(mixed_frame):
    t = Table.from_frame(mixed_frame)
    both = Table.concat([t.take([0, 1]), t.take([5])])
    assert len(both) == 3 and both.meta == t.meta
    assert np.array_equal(both.record_hashes(), t.record_hashes()[[0, 1, 5]])


def test_sequence_set_contract():
    vals = np.random.default_rng(0).normal(size=(4, 10, 2))
    seq = SequenceSet(vals, ["acc_x", "acc_y"], pd.DataFrame({"activity": list("abab")}))
    assert len(seq) == 4 and seq.meta.channels == ["acc_x", "acc_y"] and seq.meta.length == 10
    part = SequenceSet.concat([seq.take([0]), seq.take([3])])
    assert np.array_equal(part.record_hashes(), seq.record_hashes()[[0, 3]])
    with pytest.raises(DataError, match="expected \\(entities, time, channels\\)"):
        SequenceSet(vals[0], ["a", "b"])
    bad = vals.copy()
    bad[:, :, 1] = np.nan
    with pytest.raises(DataError, match="channel 'acc_y' is entirely missing"):
        SequenceSet(bad, ["acc_x", "acc_y"])


def test_image_set_contract():
    imgs = np.random.default_rng(0).random((3, 1, 8, 8))
    s = ImageSet(imgs, pd.DataFrame({"label": [0, 1, 0]}))
    assert s.meta.shape == [1, 8, 8] and len(s.take([2])) == 1
    assert len(set(s.record_hashes())) == 3
    with pytest.raises(DataError, match="expected 1 \\(grayscale\\) or 3 \\(RGB\\)"):
        ImageSet(np.zeros((2, 2, 4, 4)))
    with pytest.raises(DataError, match="inf pixels"):
        ImageSet(np.full((1, 1, 2, 2), np.inf))
    # a generator's failed (NaN) pixel is kept so the gate can reject the image with a reason
    from synthguard.builtin import FiniteValidator

    failed = ImageSet(np.stack([imgs[0], np.full((1, 8, 8), np.nan)]))
    assert FiniteValidator().check(failed, None).reasons.tolist() == [None, "non-finite pixel"]
