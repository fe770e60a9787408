"""The privacy gate rejects leaks and the audit measures them — on real tables, sensor recordings and images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard import CheckContext
from synthguard.data import holdout_split
from synthguard.privacy import (NearestRecords, RareCombinationFilter, TableDistance, audit, closer_share, dcr_share,
                                nearer_share)

from toy import toy_plugin

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def credit():
    """Three disjoint real splits of credit_data: train, holdout, and records neither saw (a perfect generator's output)."""
    real = sg.Engine().dataset("credit_data").load().take(np.arange(3000))
    rest, unseen = holdout_split(real, 0.2, seed=1)
    train, holdout = holdout_split(rest, 0.25, seed=0)
    return train, holdout, unseen


@pytest.fixture(scope="module")
def motions():
    z = np.load(DATA / "basic_motions.npz")
    return sg.SequenceSet(z["values"], [str(c) for c in z["channels"]], pd.DataFrame({"activity": z["labels"]}))


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return sg.ImageSet(d.images[:, None].astype(np.float32), pd.DataFrame({"digit": d.target.astype(str)}))


def test_gower_style_distance_counts_mismatches_and_rank_gaps(mixed_frame):
    table = sg.Table.from_frame(mixed_frame)
    dist = TableDistance().fit(table)
    one = table.take([0])
    other = one.frame.copy()
    other["segment"] = [s for s in ("retail", "private", "business") if s != other["segment"][0]][0]
    assert NearestRecords(dist, one).distances(sg.Table(other, table.meta))[0] == pytest.approx(1 / 6)  # 1 of 6 columns
    assert NearestRecords(dist, one).distances(one)[0] == 0


def test_dcr_share_sets_the_holdout_beside_whole_training_entities_as_many_as_it_has(credit):
    train, holdout, unseen = credit
    people = lambda t, n: sg.Table.from_frame(  # noqa: E731 - five rows a customer
        t.frame.iloc[:n].assign(customer=[f"c{i // 5}" for i in range(n)])).with_entities("customer")
    train_p, holdout_p = people(train, 300), people(holdout, 50)  # 60 customers, 10 held out
    out = dcr_share(train_p, holdout_p, people(unseen, 50), TableDistance)
    assert out["train_sample"] == 50 and out["train_sample_entities"] == 10  # not 50 rows of 50 customers
    draws = out["share_draws"]  # which 10 of the 60 decides one draw: the mean of ten draws, their range beside it
    assert draws["draws"] == 10 and draws["min"] <= out["share_closer_to_train"] <= draws["max"]
    by_rows = dcr_share(train, holdout, unseen, TableDistance)
    assert "train_sample_entities" not in by_rows and "share_draws" not in by_rows  # rows: one draw, as before


def test_dcr_share_positive_controls(credit):
    train, holdout, unseen = credit
    copy = dcr_share(train, holdout, train, TableDistance)
    assert copy["share_closer_to_train"] > 0.6 and copy["synthetic_to_train"]["median"] == 0  # a copy is flagged
    assert dcr_share(train, holdout, holdout, TableDistance)["share_closer_to_train"] < 0.1  # holdout: closest to itself
    assert 0.4 < dcr_share(train, holdout, unseen, TableDistance)["share_closer_to_train"] < 0.6  # unseen real: no preference


def test_nearer_share_counts_a_copy_of_any_training_record(credit):
    """Unseen real records sit as near the training rows as training rows sit to each other; a 10% copy shows."""
    train, holdout, unseen = credit
    nearest = NearestRecords(TableDistance().fit(train), train)
    d_real = nearest.leave_one_out()  # each training row's distance to the others
    assert 0.45 < nearer_share(nearest.distances(unseen), d_real) < 0.55
    leaky = sg.Table(pd.concat([unseen.frame.iloc[60:], train.frame.iloc[:60]], ignore_index=True), train.meta)
    d_leaky = nearest.distances(leaky)
    assert nearer_share(d_leaky, d_real) > nearer_share(nearest.distances(unseen), d_real) + 0.04
    # the equal-sized-sample DCR share sees a copy only when its row is in the sample (here 1 in 4)
    sample = NearestRecords(nearest.distance, train.take(np.arange(len(holdout))))
    assert closer_share(sample.distances(leaky), NearestRecords(nearest.distance, holdout).distances(leaky)) < 0.55


def test_interpolated_quantile_ranks_keep_new_records_as_near_as_training_rows_are_to_each_other():
    """On a continuous column the step ECDF snaps a new value onto the next training value: new rows look nearer."""
    rng = np.random.default_rng(0)
    table = sg.Table.from_frame(pd.DataFrame({"amount": rng.lognormal(6, 1, 1500), "segment": rng.choice(["a", "b"], 1500)}))
    train, new = table.take(np.arange(1000)), table.take(np.arange(1000, 1500))
    shares = {}
    for quantiles in (None, 21):
        nearest = NearestRecords(TableDistance(quantiles=quantiles).fit(train), train)
        shares[quantiles] = nearer_share(nearest.distances(new), nearest.leave_one_out())
    assert shares[None] > 0.7 and 0.45 < shares[21] < 0.55
    with pytest.raises(ValueError, match="quantiles=1"):
        TableDistance(quantiles=1)


def test_membership_attacks_flag_a_copy_and_not_unseen_real_records(credit):
    train, holdout, unseen = credit
    leaky = audit(train, holdout, train, TableDistance)
    assert leaky["membership_inference"]["worst_auc"] > 0.95 and leaky["membership_inference"]["worst_tpr"] > 0.5
    assert leaky["release"]["decision"] == "fail"
    clean = audit(train, holdout, unseen, TableDistance)
    mia = clean["membership_inference"]
    # every holdout record is a non-member (the attacker's reference is the other half), as many members
    assert mia["members"] == mia["non_members"] == len(holdout) == 600 and mia["unit"] == "record"
    assert mia["valid"] and mia["controls"]["exact-copy"]["worst_auc"] > 0.95
    assert 0.6 < mia["controls"]["half-copy"]["worst_auc"] < mia["controls"]["exact-copy"]["worst_auc"]
    assert mia["worst_auc"] < 0.6, mia  # the max over six attacks: a little above 0.5 by chance
    for name, row in mia["attacks"].items():
        assert row["auc_ci"][0] <= row["auc"] <= row["auc_ci"][1], name
    assert {"dcr", "dcr-difference", "density-ratio", "density-ratio@outliers"} <= set(mia["attacks"])


def test_wp29_risks_are_high_for_a_copy_and_low_for_unseen_real_records(credit):
    train, holdout, unseen = credit
    leaky = audit(train, holdout, train, TableDistance, controls=False)["wp29"]
    clean = audit(train, holdout, unseen, TableDistance, controls=False)["wp29"]
    assert leaky["linkability"]["risk"] > 0.9 and leaky["inference"]["risk"] > 0.5
    assert leaky["singling_out"]["risk"] > 0.2
    for risk in ("singling_out", "linkability", "inference"):
        assert clean[risk]["risk"] < 0.1, (risk, clean[risk])
        lo, hi = clean[risk]["risk_ci"]
        assert lo <= clean[risk]["risk"] <= hi


def test_rare_quasi_identifier_combinations_are_rejected():
    real = sg.Engine().dataset("german_credit").load()
    qi = ["age_in_years", "personal_status_and_sex", "foreign_worker"]
    f = RareCombinationFilter()
    f.prepare(CheckContext(meta=real.meta, reference_hashes=real.record_hashes(), reference=real,
                           options={"quasi_identifiers": qi, "k_anonymity": 5}))
    verdict = f.check(real, None)
    summary = f.summary()
    assert summary["generalised"] == ["age_in_years"] and summary["rare_real_combinations"] > 0
    assert verdict.rejected.sum() == summary["real_records_in_rare_combinations"] > 0  # exactly the people in rare cells
    assert "k=5" in next(r for r in verdict.reasons if r)


def test_quasi_identifiers_must_be_columns(tmp_path):
    with pytest.raises(sg.DataError, match="unknown column 'zip'"):
        sg.Engine().generate("finance", 10, options={"quasi_identifiers": ["zip"]})


def test_jittered_copies_are_rejected_as_near_copies(mixed_frame, tmp_path):
    """A generator that only nudges real rows can deliver nothing: every record is a near copy."""
    engine = sg.Engine(plugins=[toy_plugin])
    with pytest.raises(sg.SamplingError, match="most rejections by 'core.near-copy'"):
        engine.generate("test-copycat", 50, data=mixed_frame, config={"copy_share": 0.0, "nudge": True},
                        options={"max_rounds": 3}, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("generator, fixture", [("test-jitter", "motions"), ("test-image-jitter", "digits")])
def test_gate_and_audit_run_on_sequences_and_images(generator, fixture, request, tmp_path):
    data = request.getfixturevalue(fixture)
    engine = sg.Engine(plugins=[toy_plugin])
    with pytest.raises(sg.SamplingError, match="core.near-copy"):  # real recordings + 1% noise: all near copies
        engine.generate(generator, 20, data=data, config={"noise": 0.01}, options={"max_rounds": 2})
    result = engine.generate(generator, 40, data=data, config={"noise": 1.0}, out=tmp_path / "out",
                             holdout=0.4 if fixture == "motions" else 0.2)  # 80 recordings: 32 held out
    privacy = result.report["privacy"]
    assert privacy["core.near-copy"]["applied"] and privacy["core.nndr"]["applied"]
    mia = result.report["audit"]["membership_inference"]
    assert mia["valid"] and mia["controls"]["exact-copy"]["worst_auc"] > 0.95
    assert result.report["audit"]["distance"] == ("core.sequence-rms" if fixture == "motions" else "core.pixel-rms")
    assert (tmp_path / "out" / "report.html").read_text().count("Membership inference") == 1


def test_near_copy_filter_says_when_it_cannot_apply(mixed_frame):
    engine = sg.Engine(plugins=[toy_plugin])
    model = engine.fit("test-copycat", mixed_frame, config={"copy_share": 0.0})
    result = engine.sample(model, 20)
    assert result.report["privacy"]["core.near-copy"]["applied"] is False
    assert "holdout" in result.report["privacy"]["core.near-copy"]["reason"]
    assert "skipped" in result.report["audit"]


def test_a_plugin_distance_replaces_the_core_one_for_its_domain(mixed_frame):
    class CountryDistance(TableDistance):
        name = "test.finance-distance"
        domains = frozenset({"finance"})

    plugin = type("P", (), {"register_distances": staticmethod(sg.hookimpl(lambda register: register(CountryDistance)))})
    engine = sg.Engine(plugins=[toy_plugin, plugin], load_entrypoints=False)
    assert engine.distance_for("table", "finance") is CountryDistance
    assert engine.distance_for("table", None).name == "core.gower"
    result = engine.generate("test-copycat", 30, data=mixed_frame, config={"copy_share": 0.0})
    assert result.report["privacy"]["core.near-copy"]["distance"] == "test.finance-distance"


def _gate(train, holdout, **options):
    from synthguard.privacy import NearCopyFilter, NNDRFilter

    context = CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train, holdout=holdout,
                           distance=TableDistance, options=options)
    filters = [NearCopyFilter(), NNDRFilter(), RareCombinationFilter()]
    for f in filters:
        f.prepare(context)
    return context, filters


@pytest.mark.parametrize("share", [0.02, 0.05])
def test_duplicated_rows_do_not_switch_the_gate_off(share):
    """A person with several identical rows lands on both sides of the split: the gate must still fire next to them."""
    real = sg.Engine().dataset("german_credit").load()
    rng = np.random.default_rng(0)
    repeated = real.frame.iloc[rng.choice(len(real), int(share * len(real)), replace=False)]
    frame = pd.concat([real.frame, repeated, repeated], ignore_index=True)  # each picked person has 3 rows
    train, holdout = holdout_split(sg.Table(frame, real.meta), 0.2)
    context, (near, nndr, _) = _gate(train, holdout)
    assert near.threshold > 0 and nndr.threshold > 0  # was 0: the gate was off
    assert near.summary()["holdout_records_equal_to_training"] > 0  # the same rows on both sides of the split

    hashes = train.record_hashes()
    _, counts = np.unique(hashes, return_counts=True)
    twice = np.flatnonzero(np.isin(hashes, np.unique(hashes)[counts > 1]))[:5]
    leaked = train.take(twice)  # synthetic records equal to duplicated training records
    fresh = holdout.take(np.flatnonzero(~np.isin(holdout.record_hashes(), hashes))[:20])
    batch = sg.Table(pd.concat([leaked.frame, fresh.frame], ignore_index=True), train.meta)
    assert near.check(batch, context).rejected[:5].all()
    assert nndr.check(batch, context).rejected[:5].all()  # nearest / second-nearest *distinct* record: 0
    assert near.check(batch, context).rejected[5:].mean() < 0.2  # unseen real records mostly pass


def test_k_anonymity_counts_a_repeated_record_once():
    real = sg.Engine().dataset("german_credit").load()
    lone = real.frame.iloc[[0]]
    frame = pd.concat([real.frame] + [lone] * 9, ignore_index=True)  # one person, ten identical rows
    table = sg.Table(frame, real.meta)
    qi = list(real.frame.columns[:4])
    context, (_, _, kanon) = _gate(table, None, quasi_identifiers=qi, k_anonymity=5)
    key = kanon.qi.keys(sg.Table(lone, real.meta)).iloc[0]
    assert kanon.counts[key] == sum(kanon.qi.keys(real).eq(key))  # as many as distinct people, not rows
    verdict = kanon.check(sg.Table(lone, real.meta), context)
    assert verdict.rejected[0] == (kanon.counts[key] < 5)
    assert kanon.summary()["duplicate_rows_counted_once"] == 9


def test_a_record_k_people_share_is_not_a_copy_of_any_of_them():
    """With entity ids (--entity-column), six customers with one identical record are six people: a synthetic copy of
    that record points to none of them and passes the gate; one customer's record repeated ten times is still one
    person's, and so is any repeated row without ids."""
    from synthguard.builtin import ExactCopyFilter

    real = sg.Engine().dataset("german_credit").load()
    common, lone = real.frame.iloc[[0]], real.frame.iloc[[1]]
    frame = pd.concat([real.frame.iloc[2:], *[common] * 6, *[lone] * 10], ignore_index=True)
    n = len(real) - 2
    ids = np.concatenate([np.arange(n), n + np.arange(6), np.full(10, n + 6)])  # six people share; one repeats
    both = {"with ids": sg.Table(frame, real.meta, ids, entity_name="customer"), "without": sg.Table(frame, real.meta)}
    rejected = {}
    for name, table in both.items():
        train, holdout = holdout_split(table, 0.2)
        context, (near, nndr, _) = _gate(train, holdout, k_anonymity=5)
        exact = ExactCopyFilter()
        exact.prepare(context)
        batch = sg.Table(pd.concat([common, lone], ignore_index=True), real.meta)
        rejected[name] = [f.check(batch, context).rejected.tolist() for f in (exact, near, nndr)]
        if name == "with ids":
            assert exact.summary()["shared_records"]["kept"] == 1 and near.summary()["shared_records"]["k"] == 5
        else:
            assert "shared_records" not in exact.summary()
    assert all(r == [False, True] for r in rejected["with ids"])  # the shared record passes; the repeated one not
    assert all(r == [True, True] for r in rejected["without"])  # identical rows may be one person's: both rejected


def test_k_anonymity_counts_entities_where_records_carry_them():
    real = sg.Engine().dataset("german_credit").load()
    lone = real.frame.iloc[[0]]
    frame = pd.concat([real.frame] + [lone] * 9, ignore_index=True)
    qi = list(real.frame.columns[:4])
    key_count = {}
    for ids in (np.arange(len(frame)), np.concatenate([np.arange(len(real)), np.zeros(9, dtype=int)])):
        table = sg.Table(frame, real.meta, ids, entity_name="customer")
        _, (_, _, kanon) = _gate(table, None, quasi_identifiers=qi, k_anonymity=5)
        key_count[len(np.unique(ids))] = kanon.counts[kanon.qi.keys(sg.Table(lone, real.meta)).iloc[0]]
        assert kanon.summary()["people_counted_as"] == "entities"
    assert key_count[len(frame)] == key_count[len(real)] + 9  # ten customers, not one repeated row


def test_a_large_holdout_calibrates_the_gate_on_a_stated_uniform_sample(monkeypatch):
    """A holdout of hundreds of thousands of records is not searched whole: the 1% quantile comes from a sample."""
    from synthguard.privacy import filters

    real = sg.Engine().dataset("german_credit").load()
    train, holdout = holdout_split(real, 0.2)
    _, (near, _, _) = _gate(train, holdout)
    assert near.summary()["calibrated_on"] == {"records": 200, "of": 200, "how": "every unseen holdout record"}

    monkeypatch.setattr(filters, "CALIBRATION_RECORDS", 50)
    context, (near, nndr, _) = _gate(train, holdout)
    for f in (near, nndr):
        assert f.summary()["calibrated_on"] == {"records": 50, "of": 200,
                                                "how": "uniform sample of the unseen holdout records, seed 0"}
    sample = context._shared["calibration"][0]
    assert len(sample) == 50 and context._shared["last_search"][0] is sample  # one sample, one search for both
    distances = context.nearest_reference().kneighbors(sample, 2)[0][:, 0]
    assert near.threshold == pytest.approx(np.quantile(distances, 0.01))
    again, _ = _gate(train, holdout)
    assert again._shared["calibration"][0].record_hashes().tolist() == sample.record_hashes().tolist()  # seeded


def test_a_holdout_made_only_of_training_rows_is_refused_with_the_reason():
    real = sg.Engine().dataset("german_credit").load().take(np.arange(200))
    with pytest.raises(sg.DataError, match="every holdout record equals a training record"):
        _gate(real, real.take(np.arange(20)))


def test_the_release_decision_reads_only_what_the_audit_size_can_tell(credit):
    """Fresh real records pass at 600 a side, are 'cannot tell' at 60, and a copy fails at any size."""
    train, holdout, unseen = credit
    big = audit(train, holdout, unseen, TableDistance, controls=False)["release"]
    assert big["decision"] == "pass", big
    assert mia_detectable(600) < 0.05 < mia_detectable(60)
    small = audit(train, holdout.take(np.arange(60)), unseen.take(np.arange(60)), TableDistance, controls=False)
    assert small["release"]["decision"] == "cannot tell" and "530 units" in small["release"]["reason"]
    assert small["membership_inference"]["fpr"] == 0.1 and not small["membership_inference"]["fpr_readable"]
    copied = audit(train, holdout.take(np.arange(60)), train, TableDistance, controls=False)["release"]
    assert copied["decision"] == "fail" and "worst membership AUC" in copied["reason"]


def mia_detectable(n: int) -> float:
    from synthguard.privacy.attacks import detectable_auc_excess

    return detectable_auc_excess(n, n)


def test_entities_are_scored_as_one_unit():
    """Windows of one recording count once: members and non-members are recordings, not windows."""
    from synthguard.data import SequenceSet
    from synthguard.privacy.attacks import AttackSetup

    rng = np.random.default_rng(0)
    values = rng.normal(size=(120, 8, 1))
    sources = np.repeat(np.arange(40), 3)  # 40 recordings, 3 windows each
    seqs = SequenceSet(values, ["x"], sources=sources)
    train, holdout = seqs.take(np.arange(90)), seqs.take(np.arange(90, 120))
    setup = AttackSetup.draw(train, holdout)
    assert setup.unit == "entity" and setup.n_members == setup.n_non_members == 10
    assert len(setup.non_members) == 30  # every window of every held-out recording is scored


def test_roc_scores_match_sklearn_on_the_full_curve():
    from sklearn.metrics import roc_auc_score, roc_curve

    from synthguard.privacy.attacks import roc_scores

    rng = np.random.default_rng(1)
    for i in range(100):
        n = int(rng.integers(5, 300))
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        x = rng.integers(0, 5, n).astype(float) if i % 2 else rng.normal(size=n) + 0.3 * y  # ties, and none
        auc, tpr = roc_scores(y, x, 0.1)
        f, t, _ = roc_curve(y, x, drop_intermediate=False)
        assert auc == pytest.approx(roc_auc_score(y, x), abs=1e-12) and tpr == pytest.approx(t[f <= 0.1 + 1e-12].max())
