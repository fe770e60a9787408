"""Near copies are rejected and distance-to-closest-record is measured against real unseen records."""

from __future__ import annotations

import numpy as np
import pytest
import synthguard as sg
from synthguard.data import holdout_split
from synthguard.privacy import DCRMetric, NearestRecords, TableEmbedding

from toy import toy_plugin


@pytest.fixture(scope="module")
def credit():
    real = sg.Engine().dataset("credit_data").load()
    return holdout_split(real.take(np.arange(2000)), 0.3, seed=0)


def test_gower_style_distance_counts_mismatches_and_rank_gaps(mixed_frame):
    table = sg.Table.from_frame(mixed_frame)
    emb = TableEmbedding(table)
    one = table.take([0])
    other = one.frame.copy()
    other["segment"] = [s for s in ("retail", "private", "business") if s != other["segment"][0]][0]
    d = NearestRecords(emb, one).distances(sg.Table(other, table.meta))
    assert d[0] == pytest.approx(1 / 6)  # one categorical mismatch out of six columns
    assert NearestRecords(emb, one).distances(one)[0] == 0


def test_dcr_share_positive_controls(credit):
    train, holdout = credit
    ctx = sg.MetricContext(holdout=holdout)
    copy = DCRMetric().compute(train, train, ctx)
    assert copy["share_closer_to_train"] > 0.6 and copy["synthetic_to_train"]["median"] == 0  # a copy is flagged
    fresh = DCRMetric().compute(train, holdout, ctx)
    assert fresh["share_closer_to_train"] < 0.1  # holdout records are, trivially, closest to themselves
    train_a, train_b = holdout_split(train, 0.5, seed=1)
    unseen = DCRMetric().compute(train_a, train_b.take(np.arange(len(holdout))), ctx)
    assert 0.4 < unseen["share_closer_to_train"] < 0.6  # real records the model never saw: no preference


def test_jittered_copies_are_rejected_as_near_copies(mixed_frame, tmp_path):
    """A generator that only nudges real rows can deliver nothing: every record is a near copy."""
    engine = sg.Engine(plugins=[toy_plugin])
    with pytest.raises(sg.SamplingError, match="most rejections by 'core.near-copy'"):
        engine.generate("test-copycat", 50, data=mixed_frame, config={"copy_share": 0.0, "nudge": True},
                        options={"max_rounds": 3}, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_near_copy_filter_says_when_it_cannot_apply(tmp_path, mixed_frame):
    engine = sg.Engine(plugins=[toy_plugin])
    model = engine.fit("test-copycat", mixed_frame, config={"copy_share": 0.0})
    result = engine.sample(model, 20)
    assert result.report["privacy"]["core.near-copy"]["applied"] is False
    assert "holdout" in result.report["privacy"]["core.near-copy"]["reason"]
