"""synthguard explain on sequences: a planted lead-lag and a planted AR(1) are found, named, and scored by the LSTM."""

from __future__ import annotations

import json

import numpy as np
import pytest
import synthguard_sensor.plugin as sensor_plugin

import synthguard as sg
from synthguard.explain import explain, temporal_structure

HOSTILE = "<b>"


def planted(n: int = 40, t: int = 40, seed: int = 0) -> np.ndarray:
    """Channels: a (AR(1), 0.5), b = a one step earlier + a little noise, c (AR(1), 0.9) independent of both."""
    rng = np.random.default_rng(seed)
    a = np.zeros((n, t + 1))
    c = np.zeros((n, t))
    for k in range(1, t + 1):
        a[:, k] = 0.5 * a[:, k - 1] + rng.normal(size=n)
    for k in range(1, t):
        c[:, k] = 0.9 * c[:, k - 1] + rng.normal(size=n)
    b = a[:, :-1] + 0.1 * rng.normal(size=(n, t))
    return np.stack([a[:, 1:], b, c], axis=-1)


def shuffled_in_time(values: np.ndarray, seed: int = 1) -> np.ndarray:
    """Each record's steps in a random order: levels and same-step coupling kept, every dependence over time gone."""
    rng = np.random.default_rng(seed)
    order = np.stack([rng.permutation(values.shape[1]) for _ in range(len(values))])
    return np.take_along_axis(values, order[:, :, None], axis=1)


def test_the_planted_lead_lag_and_persistence_are_found_and_their_loss_named():
    real = sg.SequenceSet(planted(), ["a", "b", "c"])
    lost = temporal_structure(real, sg.SequenceSet(shuffled_in_time(real.values), ["a", "b", "c"]))
    lead = lost["lead_lag"][0]
    assert (lead["leader"], lead["follower"], lead["lag"]) == ("a", "b", 1) and lead["real"] > 0.9
    assert abs(lead["synthetic"]) < 0.2
    assert lost["autocorrelation"]["most_persistent"][0] == "c"
    words = lost["largest_misses_text"]
    assert words[0].startswith("b follows a by 1 step: real 1.00")
    assert any(w.startswith("c at lag 1: real 0.8") for w in words)

    kept = temporal_structure(real, sg.SequenceSet(real.values.copy(), ["a", "b", "c"]))
    assert kept["largest_misses_text"] == []  # a faithful copy misses nothing
    assert kept["autocorrelation"]["mean_abs_difference"] == 0


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """generate sensor-lstm on the planted recordings (a small LSTM that learns them in seconds), its model saved."""
    root = tmp_path_factory.mktemp("explain_seq")
    np.savez(root / "planted.npz", values=planted(), channels=np.array(["a", HOSTILE, "c"]))
    engine = sg.Engine(plugins=[sensor_plugin], load_entrypoints=False)
    engine.generate("sensor-lstm", rows=30, data=root / "planted.npz", out=root / "out", save_model=root / "model",
                    config={"epochs": 40, "hidden": 16, "layers": 1, "components": 2},
                    options={"audit": False, "disable": ["sensor.spike", "sensor.rate", "sensor.range"]})
    return root, engine


def test_explain_shows_what_the_lstm_learned_and_scores_its_records(run):
    root, engine = run
    result = explain(root / "out", data=root / "planted.npz", model=root / "model", engine=engine)
    lead = result["temporal"]["lead_lag"][0]
    assert (lead["leader"], lead["follower"], lead["lag"]) == ("a", HOSTILE, 1)
    assert lead["synthetic"] > 0.6  # the model learned that b repeats a one step later
    c = result["temporal"]["channels"].index("c")
    assert result["temporal"]["autocorrelation"]["synthetic"][0][c] > 0.5  # ...and that c persists
    lik = result["likelihood"]
    assert len(lik["log_likelihood"]) == 30 and lik["threshold"] is not None
    assert len(lik["per_step"]["real"]) == 40
    report = json.loads((root / "out" / "report.json").read_text())
    assert report["explain"]["modality"] == "sequence" and "log_likelihood" not in report["explain"]["likelihood"]
    for page in ("explain.html", "report.html"):
        html = (root / "out" / page).read_text()
        assert "&lt;b&gt; follows a by 1 step" in html and "<b> follows" not in html


def test_without_the_model_only_the_model_free_parts_are_shown(run, tmp_path):
    root, engine = run
    result = explain(root / "out", data=root / "planted.npz", out=tmp_path / "e", engine=engine)
    assert "likelihood" not in result and "pass --model" in result["model_note"]
    assert (tmp_path / "e" / "explain.html").is_file()


def test_a_sequence_bundle_is_sampled_through_the_gate_then_explained(run, tmp_path):
    root, engine = run
    result = explain(root / "model", data=root / "planted.npz", out=tmp_path / "sampled", rows=20, engine=engine)
    assert result["modality"] == "sequence" and result["records"]["synthetic"] == 20
    assert (tmp_path / "sampled" / "synthetic.npz").is_file() and "likelihood" in result
