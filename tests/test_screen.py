"""A draw whose quasi-identifiers k-anonymity refuses is stopped before its other columns are drawn (synthguard.screen)."""

import numpy as np
import pandas as pd
import pytest

import synthguard as sg
from synthguard.contract import CheckContext
from synthguard.data import holdout_split
from synthguard.pipeline import HOLDOUT, SPLIT_SEED
from synthguard.privacy.filters import NearCopyFilter, RareCombinationFilter
from synthguard.screen import STOPPED, Screen


def _kanon(train, holdout, qi):
    context = CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train, holdout=holdout,
                           options={"quasi_identifiers": qi, "k_anonymity": 5})
    f = RareCombinationFilter()
    f.prepare(context)
    return f, context


@pytest.fixture(scope="module")
def german():
    real = sg.Engine().dataset("german_credit").load()
    return holdout_split(real, HOLDOUT, seed=SPLIT_SEED)


def test_generate_keeps_the_stopped_draws_as_rejections_with_their_quasi_identifiers_only(german):
    result = sg.generate("finance", rows=300, dataset="german_credit", seed=3, options={"audit": False})
    qi = list(result.report["privacy"]["core.k-anonymity"]["quasi_identifiers"])
    info, rejected = result.rejected_info, result.rejected.frame
    stopped = info["reason"].str.endswith(f"({STOPPED})").to_numpy()
    assert stopped.sum() > 10  # german_credit: ~16% of draws fall in a rare combination
    assert (info["checks"][stopped] == "core.k-anonymity").all()
    others = [c for c in rejected.columns if c not in qi]
    assert rejected.loc[stopped, qi].notna().all().all() and rejected.loc[stopped, others].isna().all().all()
    assert rejected.loc[~stopped].notna().any(axis=1).all()  # rejected by the gate after the whole draw

    sampling, tally = result.report["sampling"], result.report["privacy"]["core.k-anonymity"]["rejected"]
    assert sampling["rejected"] == len(info) and sampling["sampled"] >= 300 + len(info)  # + the last round's surplus
    assert tally >= stopped.sum()  # stopped draws count against k-anonymity like the gate's own rejections
    kanon, context = _kanon(*german, qi)
    assert not kanon.check(result.records, context).rejected.any()  # every delivered record passes
    assert kanon.check(sg.Table(rejected.loc[stopped], result.records.meta), context).rejected.all()


def test_a_screened_sample_is_reproducible_and_splits_every_draw_into_kept_or_stopped(german):
    train, holdout = german
    qi = ["age_in_years", "personal_status_and_sex", "job", "foreign_worker"]
    model = sg.Engine().load(sg.Engine().dataset("german_credit").bundles()["finance"])
    kanon, context = _kanon(train, holdout, qi)

    def draw():
        screen = Screen.for_run(model, [NearCopyFilter(), kanon], context)  # near-copy needs whole records: left out
        assert screen.filters == [kanon] and screen.columns == tuple(qi)
        kept = model.sample(2000, seed=5, screen=screen)
        return kept, *screen.collect({})

    kept, stopped, info = draw()
    assert len(kept) + len(stopped) == 2000 and len(info) == len(stopped)
    assert not kanon.check(kept, context).rejected.any() and kanon.check(stopped, context).rejected.all()
    again, stopped_again, _ = draw()
    pd.testing.assert_frame_equal(kept.frame, again.frame)
    pd.testing.assert_frame_equal(stopped.frame, stopped_again.frame)
    unscreened = model.sample(2000, seed=5)
    assert kanon.check(unscreened, context).rejected.mean() == pytest.approx(len(stopped) / 2000, abs=0.05)


def test_generators_that_draw_every_column_at_once_get_no_screen(german):
    train, holdout = german
    kanon, context = _kanon(train, holdout, ["age_in_years", "job"])
    assert Screen.for_run(sg.Engine().generator("finance-vae"), [kanon], context) is None
    unfitted_filter = RareCombinationFilter()  # no quasi-identifiers declared: judges nothing early
    unfitted_filter.prepare(CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train,
                                         options={}))
    model = sg.Engine().load(sg.Engine().dataset("german_credit").bundles()["finance"])
    assert Screen.for_run(model, [unfitted_filter], context) is None
    assert np.array_equal(unfitted_filter.screen_columns(), ())


def test_chunks_write_the_stopped_draws_into_their_rejected_partitions(tmp_path):
    result = sg.Engine().generate("finance", 600, dataset="german_credit", out=tmp_path / "out", seed=2,
                                  options={"audit": False}, scale={"chunk_rows": 200})
    rejected = pd.concat([pd.read_parquet(p) for p in sorted((tmp_path / "out" / "rejected").glob("part-*.parquet"))])
    stopped = rejected[rejected["_reason"].str.endswith(f"({STOPPED})")]
    assert len(stopped) > 10 and (stopped["_checks"] == "core.k-anonymity").all()
    assert stopped["credit_amount"].isna().all() and stopped["age_in_years"].notna().all()
    assert pd.api.types.is_integer_dtype(rejected["credit_amount"])  # whole numbers stay integers, with gaps
    sampling = result.report["sampling"]
    assert sampling["rejected"] == len(rejected) and sampling["rejected_by_stage"] == {"privacy": len(rejected)}
    assert sum(len(pd.read_parquet(p)) for p in (tmp_path / "out" / "synthetic").glob("part-*.parquet")) == 600
