"""The finance generator honours the generator contract on tables it has never seen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
import torch
from synthguard.testing import parametrize_generator_checks
from synthguard_finance import FinanceGenerator, FinanceVAE
from synthguard_finance.baseline import SDVGaussianCopula
from synthguard_finance.encoding import TableEncoder


def _mixed() -> sg.Table:
    rng = np.random.default_rng(1)
    n = 600
    income = rng.lognormal(10, 0.6, n).round(2)
    income[rng.random(n) < 0.15] = np.nan
    opened = pd.Series(pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 5000, n), unit="D"))
    opened[rng.random(n) < 0.05] = pd.NaT
    return sg.Table.from_frame(pd.DataFrame({
        "age": rng.integers(18, 90, n),
        "income": income,
        "balance": np.where(rng.random(n) < 0.4, 0.0, rng.gamma(2, 800, n).round(2)),
        "product": rng.choice(["card", "loan", "mortgage", None], n),
        "defaulted": rng.random(n) < 0.1,
        "opened": opened,
    }), name="mixed")


TINY = {"epochs": 2, "d_model": 16, "n_layers": 1, "n_heads": 2}


@parametrize_generator_checks(FinanceGenerator, _mixed(), config=TINY)
def test_finance_generator_contract(check):
    check()


@parametrize_generator_checks(FinanceVAE, _mixed(), config={"epochs": 2, "width": 16, "n_layers": 1, "latent": 4})
def test_finance_vae_contract(check):
    check()


@parametrize_generator_checks(SDVGaussianCopula, _mixed())
def test_gaussian_copula_baseline_contract(check):
    check()


def test_encoder_round_trips_every_kind_exactly_where_it_can():
    table = _mixed()
    enc = TableEncoder.fit(table, max_bins=8, max_values=8)
    tokens = enc.encode(table.frame)
    assert tokens.shape == (600, 6) and (tokens >= 0).all()
    back = enc.decode(tokens, np.random.default_rng(0), table.meta)
    assert back["product"].equals(table.frame["product"].astype(object))
    assert back["defaulted"].equals(table.frame["defaulted"])
    assert back["income"].isna().equals(table.frame["income"].isna())
    zero = table.frame["balance"] == 0  # a point mass keeps its exact value
    assert (back.loc[zero, "balance"] == 0).all()
    assert str(back["opened"].dtype).startswith("datetime64") and str(back["age"].dtype) == "int64"


def test_samples_keep_types_missingness_and_domains():
    table = _mixed()
    model = FinanceGenerator(epochs=60).fit(table, seed=0)
    out = model.sample(1000, seed=1).frame
    assert list(out.dtypes.astype(str)) == list(table.frame.dtypes.astype(str))
    assert out["income"].isna().mean() == pytest.approx(table.frame["income"].isna().mean(), abs=0.08)
    assert out["balance"].eq(0).mean() == pytest.approx(table.frame["balance"].eq(0).mean(), abs=0.1)
    assert set(out["product"].dropna()) <= set(table.frame["product"].dropna())
    dates = out["opened"].dropna()  # missing dates stay missing, present ones stay in the real range
    assert out["opened"].isna().any() and dates.min() >= table.frame["opened"].min() and dates.max() <= table.frame["opened"].max()


def test_conditions_are_exact_and_unknown_ones_are_named():
    model = FinanceGenerator(**TINY).fit(_mixed(), seed=0)
    out = model.sample(25, seed=0, conditions={"product": "loan", "defaulted": True}).frame
    assert (out["product"] == "loan").all() and out["defaulted"].all()
    with pytest.raises(sg.DataError, match="unknown column 'nope'"):
        model.sample(5, conditions={"nope": 1})
    with pytest.raises(sg.ConfigError, match="value 'boat' is unknown in column 'product'"):
        model.sample(5, conditions={"product": "boat"})


def test_learns_the_reference_table_better_than_independent_columns():
    """On real credit data, the model keeps a known dependency: bad status is rarer with more assets."""
    real = sg.Engine().dataset("credit_data").load()
    model = FinanceGenerator(epochs=40).fit(real, seed=0)
    out = model.sample(3000, seed=0).frame

    def bad_rate_by_assets(df):
        rich = df["Assets"] > df["Assets"].median()
        return (df.loc[rich, "Status"] == "bad").mean(), (df.loc[~rich, "Status"] == "bad").mean()

    real_rich, real_poor = bad_rate_by_assets(real.frame)
    syn_rich, syn_poor = bad_rate_by_assets(out)
    assert real_rich < real_poor
    assert syn_poor - syn_rich > 0.5 * (real_poor - real_rich)


def test_a_heavy_tailed_column_keeps_its_mean_when_bins_are_decoded():
    """Uniform draws inside the top quantile bin of a skewed column would invent outliers: its mean would drift ~10%."""
    from synthguard_finance.encoding import TableEncoder

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"ratio": rng.lognormal(0.0, 1.0, 5000)})
    encoder = TableEncoder.fit(sg.Table.from_frame(frame))
    decoded = encoder.decode(encoder.encode(frame), np.random.default_rng(1), sg.Table.from_frame(frame).meta)
    top = np.quantile(frame["ratio"], 63 / 64)
    real_tail, decoded_tail = frame["ratio"][frame["ratio"] > top], decoded["ratio"][decoded["ratio"] > top]
    assert abs(decoded["ratio"].mean() / frame["ratio"].mean() - 1) < 0.02
    assert abs(decoded_tail.mean() / real_tail.mean() - 1) < 0.1
    assert encoder.codecs[0].tilts[-1] < -5  # the top bin's values crowd its lower edge


def test_bundles_saved_before_in_bin_shapes_still_decode_uniformly():
    from synthguard_finance.encoding import TableEncoder

    frame = pd.DataFrame({"amount": np.linspace(0.0, 100.0, 500)})
    state = TableEncoder.fit(sg.Table.from_frame(frame)).to_json()
    for codec in state:
        codec.pop("tilts")
    old = TableEncoder.from_json(state)
    assert old.codecs[0].tilts == []
    out = old.decode(old.encode(frame), np.random.default_rng(0), sg.Table.from_frame(frame).meta)
    assert out["amount"].between(0, 100).all()


def test_ema_samples_a_moving_average_of_the_weights_and_the_bundle_keeps_just_that(tmp_path):
    """``--set ema=0.999``: SGD's last weights wander around the minimum; the average of the steps validates and
    samples (docs/finance_fidelity.md §10). The averaging does not steer training: without it the same seed trains
    the same weights. The bundle holds the weights alone, which are the average, and samples alike."""
    from safetensors.torch import load_file

    config = {**TINY, "epochs": 6}
    averaged = FinanceGenerator({**config, "ema": 0.999}).fit(_mixed(), seed=0)
    trained = FinanceGenerator(config).fit(_mixed(), seed=0)
    pairs = list(zip(averaged.model_.parameters(), trained.model_.parameters()))
    assert not any(torch.equal(a, t) for a, t in pairs)
    step = sum(float((a - t).detach().abs().max()) for a, t in pairs) / len(pairs)
    assert 0 < step < 0.5  # an average of the path that led to these weights, near them
    averaged.save(tmp_path / "bundle")
    assert not [k for k in load_file(tmp_path / "bundle" / "weights.safetensors") if "ema_" in k]
    again = sg.load(tmp_path / "bundle")
    assert again.sample(200, seed=3).frame.equals(averaged.sample(200, seed=3).frame)


def test_early_stopping_waits_at_least_600_optimizer_steps_on_a_small_table():
    table = sg.Table.from_frame(sg.datasets()["german_credit"].load().frame.head(400))
    model = FinanceGenerator({"epochs": 1, "d_model": 16, "n_layers": 1, "n_heads": 2}).fit(table, seed=0)
    # 360 training rows in batches of 90: 4 steps an epoch, so 600 steps are 150 epochs of patience
    assert model.fit_info_["patience_epochs"] == 150
    epochs_only = FinanceGenerator({"epochs": 1, "d_model": 16, "n_layers": 1, "n_heads": 2, "patience_steps": 0}).fit(table)
    assert epochs_only.fit_info_["patience_epochs"] == 50


def test_target_weight_weighs_the_runs_outcome_in_the_training_loss():
    """With --set target_weight=W, `generate`/`fit` name the run's outcome (--target, else the dataset's declared
    one) and its cells weigh W times the others' in the training loss (early stopping's validation loss, and the
    default W = 1, weigh every column alike; at 1 nothing is added, so a pretrained bundle still serves)."""
    german = sg.datasets()["german_credit"]
    assert FinanceGenerator.public_config({}, target=german.target, dataset=german) == {}  # the bundle's defaults
    config = FinanceGenerator.public_config({"target_weight": 10}, target=german.target, dataset=german)
    assert config == {"target_weight": 10, "target": "creditability"}
    chosen = FinanceGenerator.public_config({"target": "purpose", "target_weight": 10}, target=german.target)
    assert chosen["target"] == "purpose"  # the user's choice wins
    assert FinanceGenerator.public_config({**TINY, "target": "none"}, target=german.target)["target"] is None
    assert "target" not in FinanceVAE.public_config({}, target=german.target)  # finance-vae has no outcome weight
    with pytest.raises(sg.ConfigError, match=r"target_weight=10: weighs the outcome column, and this run names none"):
        FinanceGenerator.public_config({"target_weight": 10})  # a user's table without --target
    with pytest.raises(sg.DataError, match=r"target 'zz': no such column to weigh in the loss"):
        FinanceGenerator({**TINY, "target": "zz", "target_weight": 10}).fit(_mixed())

    table = _mixed()
    weighted = FinanceGenerator({**TINY, "epochs": 1, "target": "defaulted", "target_weight": 10}).fit(table, seed=0)
    assert FinanceGenerator({**TINY, "epochs": 1, "target": "defaulted"}).fit(table).model_.column_weights is None
    model, outcome = weighted.model_, list(table.frame.columns).index("defaulted")
    tokens = torch.from_numpy(weighted.encoder_.encode(table.frame.head(64)))
    hidden = torch.ones_like(tokens, dtype=torch.bool)

    def cells(training: bool, weights) -> torch.Tensor:
        model.train(training)
        model.column_weights, kept = weights, model.column_weights
        torch.manual_seed(0)  # the same dropout masks for both
        try:
            return model._cell_losses(tokens, hidden)
        finally:
            model.column_weights = kept

    ratio = cells(True, model.column_weights) / cells(True, None)  # a training step
    assert torch.allclose(ratio[:, outcome], torch.tensor(10.0))
    assert torch.allclose(ratio[:, :outcome], torch.tensor(1.0))
    assert torch.equal(cells(False, model.column_weights), cells(False, None))  # validation: every column alike
    assert "column_weights" not in model.state_dict()  # training only: bundles carry no new tensor


def test_vae_learns_a_dependence_between_columns_and_keeps_types():
    rng = np.random.default_rng(0)
    n = 1500
    segment = rng.choice(["retail", "corporate"], n)
    amount = np.where(segment == "corporate", rng.normal(5000, 300, n), rng.normal(500, 50, n)).round(2)
    table = sg.Table.from_frame(pd.DataFrame({"segment": segment, "amount": amount, "flag": rng.random(n) < 0.3}))
    out = sg.Engine().fit("finance-vae", table, seed=0, config={"epochs": 40}).sample(2000, seed=1).frame
    assert set(out["segment"]) <= {"retail", "corporate"} and out["flag"].dtype == bool
    corporate = out["segment"] == "corporate"
    # z must carry the segment -> amount dependence: independent columns would mix the two modes
    assert out.loc[corporate, "amount"].median() > 3000 > 1000 > out.loc[~corporate, "amount"].median()
    assert 0.4 < corporate.mean() < 0.6


def test_vae_draws_each_column_exactly_from_its_softmax():
    from scipy.stats import chisquare
    from synthguard_finance.vae import OnePassTabularVAE

    model = OnePassTabularVAE([3, 5], width=8, latent=2).eval()
    torch.nn.init.zeros_(model.head.weight)  # every row's logits = the bias
    bias = torch.tensor([0.0, 1.0, -2.0, 3.0, 0.0, 0.0, -4.0, 2.0])
    with torch.no_grad():
        model.head.bias.copy_(bias)
    n = 100_000
    drawn = model.sample(torch.zeros(n, 2, dtype=torch.long), torch.ones(n, 2, dtype=torch.bool),
                         torch.Generator().manual_seed(0)).numpy()
    for column, logits in enumerate((bias[:3], bias[3:])):
        expected = logits.double().softmax(0).numpy() * n
        counts = np.bincount(drawn[:, column], minlength=len(logits))
        assert len(counts) == len(logits) and chisquare(counts, expected).pvalue > 1e-3


def test_vae_loss_is_each_columns_cross_entropy_even_far_apart():
    from synthguard_finance.vae import OnePassTabularVAE

    model = OnePassTabularVAE([2, 4, 3], width=8, latent=2)
    logits = torch.randn(5, 9) + torch.tensor([200.0] * 2 + [0.0] * 4 + [-200.0] * 3)  # exp() of either end overflows
    tokens = torch.tensor([[0, 3, 2], [1, 0, 0], [1, 1, 1], [0, 2, 2], [1, 3, 0]])
    expected = sum(torch.nn.functional.cross_entropy(x, tokens[:, j], reduction="none")
                   for j, x in enumerate(logits.split([2, 4, 3], dim=1)))
    packed = model._column_logsumexp(logits).sum(1) - logits.gather(1, tokens + model.offsets).sum(1)
    assert torch.allclose(packed, expected, atol=1e-4)


def test_vae_refuses_conditions_by_name():
    table = _mixed()
    model = sg.Engine().fit("finance-vae", table, seed=0, config={"epochs": 1, "width": 16, "latent": 4})
    with pytest.raises(sg.SynthGuardError, match="finance-vae.*conditional"):
        model.sample(10, seed=0, conditions={"product": "card"})


def test_vae_stops_at_the_memorization_check_and_keeps_the_last_weights_that_passed():
    table = sg.Table.from_frame(sg.datasets()["german_credit"].load().frame)
    config = {"epochs": 60, "check_every": 10}
    relaxed = sg.Engine().fit("finance-vae", table, seed=0, config={**config, "max_nearer_share": 1.0}).fit_info_
    assert relaxed["stopped_by"] == "epochs" and relaxed["epochs_run"] == 60 and len(relaxed["memorization_checks"]) == 6
    shares = [c["nearer_share"] for c in relaxed["memorization_checks"]]
    assert all(0 <= x <= 1 for x in shares) and shares[-1] > shares[0]  # sampled rows move towards the training rows
    window = [np.mean(shares[max(0, i - 2):i + 1]) for i in range(len(shares))]
    limit = (window[2] + window[-1]) / 2  # crossed between the 3rd and the last check
    strict = sg.Engine().fit("finance-vae", table, seed=0, config={**config, "max_nearer_share": limit}).fit_info_
    stop = next(i for i, w in enumerate(window) if w > limit)
    assert strict["stopped_by"] == "memorization_check" and strict["epochs_run"] == 10 * (stop + 1)
    assert [c["nearer_share"] for c in strict["memorization_checks"]] == shares[:stop + 1]  # checks don't perturb training
    assert strict["best_epoch"] == 10 * stop  # the weights of the last check that passed


def test_vae_report_plots_its_memorization_checks(tmp_path):
    table = sg.Table.from_frame(sg.datasets()["german_credit"].load().frame.head(400))
    model = sg.Engine().fit("finance-vae", table, seed=0, config={"epochs": 10, "check_every": 5, "width": 16})
    figure = model.fit_info_["figures"][0]
    assert [x for x in figure["data"][0]["x"]] == [c["epoch"] for c in model.fit_info_["memorization_checks"]]
    assert figure["data"][2]["y"] == [0.5, 0.5]


def test_vae_on_a_table_too_small_to_check_says_so():
    table = sg.Table.from_frame(sg.datasets()["german_credit"].load().frame.head(20))  # 18 training rows
    with pytest.warns(UserWarning, match="no memorization check ran"):
        model = sg.Engine().fit("finance-vae", table, seed=0, config={"epochs": 3, "width": 16})
    assert model.fit_info_["memorization_checks"] == [] and model.fit_info_["stopped_by"] == "epochs"
    checked = sg.Engine().fit("finance-vae", sg.Table.from_frame(sg.datasets()["german_credit"].load().frame.head(100)),
                              seed=0, config={"epochs": 3, "width": 16})
    assert len(checked.fit_info_["memorization_checks"]) == 1  # 90 training rows, checked at the last epoch


def _months_and_amounts(n: int = 400) -> sg.Table:
    """A loan's amount grows with its duration (german_credit's duration x credit_amount: correlation 0.63)."""
    rng = np.random.default_rng(0)
    months = rng.choice(np.arange(6, 62, 2), n)
    amount = (months * 120 * rng.lognormal(0, 0.35, n)).round(0)
    return sg.Table.from_frame(pd.DataFrame({"months": months, "amount": amount, "age": rng.integers(19, 75, n)}))


def test_numeric_tokens_know_their_order_categories_do_not():
    table = _mixed()
    places = dict(zip(table.meta.names, TableEncoder.fit(table, max_bins=8, max_values=8).ordinal_positions()))
    assert all(p is None for p in places["product"] + places["defaulted"])
    income = places["income"]  # 8 bins then the NaN token
    assert income[-1] is None and income[:-1] == sorted(income[:-1]) and income[0] == 0.0 and income[-2] == 1.0
    balance = places["balance"]  # the 0.0 spike first, then the bins above it
    assert balance[0] == 0.0 and balance[1:] == sorted(balance[1:])


def test_a_small_table_keeps_the_correlation_of_two_numeric_columns():
    """400 rows, 28 durations x 64 amount bins: tokens that do not know their order learn next to nothing of the
    trend in 40 epochs (sampled correlation 0.07 with ordinal_basis=0, 0.40 with it; real 0.78, 2026-12-03)."""
    table = _months_and_amounts()
    config = {"epochs": 40, "d_model": 16, "n_layers": 1, "n_heads": 2, "val_fraction": 0}
    out = FinanceGenerator(config).fit(table, seed=0).sample(2000, seed=0).frame
    real = np.corrcoef(table.frame["months"], table.frame["amount"])[0, 1]
    assert np.corrcoef(out["months"], out["amount"])[0, 1] > real / 3
