"""synthguard augment: rebalanced synthetic records, the real + synthetic training set, and the measured uplift."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthguard as sg
from synthguard.augment_tasks import TableTask
from synthguard.data import Table
from synthguard.quality.augmentation import Regime, measure

SMOKE = {"d_model": 16, "n_layers": 1, "n_heads": 2}  # the finance model's smallest config: seconds to fit


def loans(n: int, seed: int = 0) -> pd.DataFrame:
    """A test table (generated here, not real data): about 20% 'bad' loans, driven by debt ratio and home."""
    rng = np.random.default_rng(seed)
    home = rng.choice(["owner", "rent", "other"], n, p=[0.5, 0.4, 0.1])
    ratio = rng.gamma(2.0, 0.2, n).round(3)
    income = rng.lognormal(10, 0.4, n).round(0)
    logit = -2.2 + 3.0 * (ratio - 0.4) + np.where(home == "rent", 0.8, 0.0)
    bad = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({"income": income, "debt_ratio": ratio, "home": home,
                         "status": np.where(bad, "bad", "good")})


@pytest.fixture
def loans_csv(tmp_path) -> Path:
    path = tmp_path / "loans.csv"
    loans(300).to_csv(path, index=False)
    return path


def within_sampling_error(share: float, asked: float, n: int) -> bool:
    return abs(share - asked) <= 3 * math.sqrt(asked * (1 - asked) / n)


def test_rebalancing_by_conditional_sampling_delivers_the_requested_minority_share(loans_csv):
    result = sg.Engine().augment("finance", data=loans_csv, target="status", rebalance="status=0.4", rows=300,
                                 epochs=1, config=SMOKE, regimes=[1], ratios=[1], seed=3,
                                 options={"audit": False})  # a one-epoch model on 240 rows: the audit is not the point

    shares = result.data["status"].value_counts(normalize=True)
    assert within_sampling_error(shares["bad"], 0.4, 300)
    section = result.report["augmentation"]["rebalance"]
    assert section["minority_class"] == "bad" and section["requested_shares"]["bad"] == 0.4
    assert section["delivered_shares"]["bad"] == pytest.approx(shares["bad"], abs=1e-4)
    assert section["gated_and_audited"] == 330  # 10% more than delivered, each class's quota kept


def test_rebalancing_a_generator_without_conditions_keeps_records_by_class(loans_csv):
    result = sg.Engine().augment("finance-gaussian-copula", data=loans_csv, target="status",
                                 rebalance="status=0.5", rows=400, regimes=[1], ratios=[1])

    assert within_sampling_error((result.data["status"] == "bad").mean(), 0.5, 400)


def test_augment_writes_synthetic_augmented_and_the_measurement(cli, loans_csv, tmp_path):
    out = tmp_path / "out"
    proc = cli("augment", "finance-gaussian-copula", "--data", str(loans_csv), "--target", "status",
               "--rebalance", "status=0.5", "--regimes", "0.5,1", "--ratios", "0.5,1", "--format", "csv",
               "--out", str(out))
    assert proc.returncode == 0, proc.stderr

    synthetic, augmented = pd.read_csv(out / "synthetic.csv"), pd.read_csv(out / "augmented.csv")
    assert len(synthetic) == 240  # as many as the real training records (80% of 300)
    assert augmented["_source"].value_counts().to_dict() == {"real": 240, "synthetic": 240}
    assert augmented.drop(columns="_source").columns.tolist() == synthetic.columns.tolist()
    report = json.loads((out / "report.json").read_text())
    measurement = report["augmentation"]["measurement"]
    assert [r["fraction"] for r in measurement["regimes"]] == [0.5, 1.0]
    arms = {a["arm"]: a for a in measurement["regimes"][1]["arms"]}
    assert set(arms) == {"real", "real + synthetic ×0.5", "real + synthetic ×1", "synthetic"}
    assert arms["real + synthetic ×1"]["train_records"] == 480
    assert len(arms["real + synthetic ×1"]["uplift"]["roc_auc"]["ci"]) == 2
    assert measurement["verdict"] in proc.stdout
    page = (out / "report.html").read_text()
    assert "id='augmentation'" in page and "real + synthetic ×0.5" in page


def test_augment_with_a_saved_bundle_needs_the_data_it_was_trained_on(loans_csv, tmp_path):
    engine = sg.Engine()
    engine.generate("finance", 50, data=loans_csv, epochs=1, config=SMOKE, save_model=tmp_path / "model",
                    options={"audit": False})

    result = engine.augment(tmp_path / "model", data=loans_csv, target="status", regimes=[1], ratios=[1],
                            options={"audit": False})
    assert len(result.data) == 240 and result.report["lineage"]["bundle"] == f"sha256:{sg.load(tmp_path / 'model').bundle_sha256_}"
    with pytest.raises(sg.DataError, match="it was not trained on the training split of this data"):
        engine.augment(tmp_path / "model", data=loans(300, seed=5), target="status", out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, expected", [
    (["--target", "status", "--rebalance", "status=1.5"], "--rebalance 'status=1.5': expected COLUMN=SHARE"),
    (["--target", "default"], "--target default: unknown column 'default'"),
])
def test_bad_input_is_one_error_line_before_training_and_nothing_written(loans_csv, tmp_path, args, expected):
    out = tmp_path / "out"
    exe = Path(sys.executable).with_name("synthguard")
    # 100000 epochs: a run that started training would not finish within the timeout
    proc = subprocess.run([str(exe), "augment", "finance", "--data", str(loans_csv), "--epochs", "100000",
                           "--out", str(out), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("kwargs, error, expected", [
    ({"target": "status", "rebalance": "status"}, sg.ConfigError, "--rebalance 'status': expected COLUMN=SHARE"),
    ({"target": "status", "rebalance": "status=0"}, sg.ConfigError, "a share between 0 and 1"),
    ({"target": "status", "rebalance": "home=0.5"}, sg.ConfigError, "expected the target column 'status'"),
    ({"target": "income", "rebalance": "income=0.5"}, sg.ConfigError, "is not a class label"),
    ({}, sg.ConfigError, "expected --target COLUMN"),
    ({"target": "status", "regimes": [0, 1]}, sg.ConfigError, r"expected one or more numbers in \(0, 1\]"),
    ({"target": "status", "ratios": []}, sg.ConfigError, "expected one or more numbers above 0"),
])
def test_bad_arguments_are_refused_before_training(loans_csv, tmp_path, kwargs, error, expected):
    with pytest.raises(error, match=expected):
        sg.Engine().augment("finance", data=loans_csv, epochs=100000, out=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_a_target_missing_from_the_data_is_refused(tmp_path):
    path = tmp_path / "loans.csv"
    loans(300).drop(columns="status").to_csv(path, index=False)
    with pytest.raises(sg.DataError, match="--target status: unknown column 'status': expected one of income"):
        sg.Engine().augment("finance", data=path, target="status", epochs=100000, out=tmp_path / "out")


def _signal_table(n: int, seed: int, shuffle_labels: bool = False) -> Table:
    """A test table whose label follows one column closely: more such records must help a small model."""
    rng = np.random.default_rng(seed)
    x, other = rng.normal(size=n), rng.normal(size=n)
    status = np.where(x + 0.3 * rng.normal(size=n) > 0.8, "bad", "good")
    if shuffle_labels:
        status = rng.permutation(status)
    return Table.from_frame(pd.DataFrame({"x": x.round(3), "other": other.round(3), "status": status}), name="t")


def test_the_verdict_says_so_when_synthetic_data_helps_and_when_it_does_not():
    task, holdout, real = TableTask(), _signal_table(600, 1), _signal_table(40, 2)
    more_real = Table(_signal_table(400, 3).frame, real.meta)  # a perfect generator: more records like the real ones
    noise = Table(_signal_table(400, 4, shuffle_labels=True).frame, real.meta)  # labels that say nothing

    helps = measure(task, "status", holdout, [Regime(1.0, real, more_real, "more real records")], ratios=[5, 10],
                    bootstrap=100)
    noisy = measure(task, "status", holdout, [Regime(1.0, real, noise, "shuffled labels")], ratios=[5, 10],
                    bootstrap=100)

    assert helps["verdict"].startswith("Synthetic data helps on AUC")
    best = helps["regimes"][0]["arms"][2]["uplift"]["roc_auc"]
    assert best["significant"] and best["ci"][0] > 0
    assert noisy["verdict"].startswith("Synthetic data does not help here")


def test_a_baseline_arm_is_scored_against_real_only_and_left_out_of_the_verdict():
    task, holdout, real = TableTask(), _signal_table(600, 1), _signal_table(40, 2)
    extra = Table(_signal_table(400, 3).frame, real.meta)
    noise = Table(_signal_table(400, 4, shuffle_labels=True).frame, real.meta)

    class MoreRealRecords(TableTask):  # a test double for a cheap alternative that does help
        def fit_predict(self, train, holdout, target, seed):
            return super().fit_predict(Table.concat([train, extra]), holdout, target, seed)

    out = measure(task, "status", holdout, [Regime(1.0, real, noise, "shuffled labels")], ratios=[5, 10],
                  bootstrap=100, baselines={"real, more records": MoreRealRecords()})

    arms = out["regimes"][0]["arms"]
    assert [a["arm"] for a in arms[:2]] == ["real", "real, more records"]
    assert arms[1]["baseline"] is True and arms[1]["train_records"] == 40
    assert arms[1]["uplift"]["roc_auc"]["significant"] and arms[1]["uplift"]["roc_auc"]["value"] > 0
    assert not any(a.get("baseline") for a in arms[2:])
    assert out["verdict"].startswith("Synthetic data does not help here")  # the baseline's gain is not the generator's
    assert "(2 comparisons" in out["verdict"]


def test_a_plugins_downstream_task_for_its_domain_wins_over_the_cores():
    import types

    from synthguard.augment import tasks_of
    from synthguard.augment_tasks import DownstreamTask, choose_task

    class DefaultPrediction(TableTask):
        name = "test.default-prediction"
        domains = ("finance",)

    plugin = types.ModuleType("test_augment_task_plugin")
    plugin.register_downstream_tasks = sg.hookimpl(lambda register: register(DefaultPrediction))
    tasks = tasks_of(sg.Engine(plugins=[plugin], load_entrypoints=False))

    assert choose_task(tasks, "table", "finance").name == "test.default-prediction"
    assert choose_task(tasks, "table", "traffic").name == "core.table"
    assert choose_task(tasks, "sequence", "sensor").name == "core.sequence"
    assert choose_task(tasks, "image", "imaging") is None
    assert all(issubclass(t, DownstreamTask) for t in tasks)


def test_the_sequence_task_learns_an_activity_from_recordings():
    from synthguard.augment_tasks import SequenceTask

    rng = np.random.default_rng(0)

    def recordings(n: int) -> sg.SequenceSet:
        activity = rng.choice(["walking", "standing"], n)
        amplitude = np.where(activity == "walking", 1.0, 0.1)[:, None, None]
        values = amplitude * np.sin(np.linspace(0, 12, 50))[None, :, None] + 0.05 * rng.normal(size=(n, 50, 2))
        return sg.SequenceSet(values, ["acc_x", "acc_y"], pd.DataFrame({"activity": activity}),
                              np.array([f"r{i}" for i in range(n)]))

    train, holdout = recordings(60), recordings(40)
    task = SequenceTask()
    result = measure(task, "activity", holdout, [Regime(1.0, train, recordings(60), "more recordings")],
                     ratios=[1], bootstrap=50)

    assert result["kind"] == "classification"
    assert result["regimes"][0]["arms"][0]["roc_auc"] > 0.95
    with pytest.raises(sg.DataError, match="--target fault: unknown static attribute 'fault': expected one of activity"):
        task.labels(train, "fault")
