"""Training in several processes (torch.distributed, gloo on CPU): what a user asks for with --workers or torchrun.

Two processes with the same global batch learn what one process does: every rank draws the same batch
order and random masks, trains on its half of each batch, and DDP averages the gradients. What differs is
only the order of floating-point sums (the global loss as two partial sums, the gradient as an all-reduced
mean): on these tables the per-epoch losses agree to all 6 recorded decimals; the tests allow rtol 1e-4.
Dropout is off in these runs: its masks come from each process's own generator, so with dropout on the
curves differ by sampling noise, not by a bug.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import synthguard as sg

TINY_FINANCE = {"epochs": 3, "d_model": 16, "n_layers": 1, "n_heads": 2, "dropout": 0.0}
TINY_SENSOR = {"epochs": 2, "hidden": 16, "layers": 1, "head_width": 16, "head_blocks": 1, "dropout": 0.0}
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def losses(fit_info: dict) -> np.ndarray:
    history = fit_info["history"]
    return np.array(history["train_loss"] + history["val_loss"])


def test_two_processes_learn_what_one_does_and_save_a_normal_bundle(tmp_path):
    frame = sg.Engine().dataset("german_credit").load().frame.iloc[:200]
    one = sg.fit("finance", data=frame, config=TINY_FINANCE, seed=0, device="cpu")
    two = sg.fit("finance", data=frame, config={**TINY_FINANCE, "workers": 2}, seed=0, device="cpu")
    assert two.fit_info_["distributed"] == {"workers": 2, "backend": "gloo", "launcher": "spawn"}
    assert len(losses(two.fit_info_)) == 6  # 3 epochs of training and validation losses
    np.testing.assert_allclose(losses(two.fit_info_), losses(one.fit_info_), rtol=1e-4)
    two.save(tmp_path / "bundle")
    again = sg.load(tmp_path / "bundle")
    assert again.config.workers == 2
    sample = again.sample(50, seed=1).frame
    assert list(sample.columns) == list(frame.columns) and len(sample) == 50


def test_torchrun_trains_the_sensor_default_like_one_process(tmp_path):
    data = sg.Engine().dataset("basic_motions").load()
    one = sg.fit("sensor", data=data, config=TINY_SENSOR, seed=0, device="cpu")
    exe = Path(sys.executable).with_name("synthguard")
    settings = [arg for key, value in TINY_SENSOR.items() if key != "epochs" for arg in ("--set", f"{key}={value}")]
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           str(exe), "fit", "sensor", "--dataset", "basic_motions", "--holdout", "0",  # every record,
                           "--epochs", "2", *settings, "--device", "cpu", "--out", str(tmp_path / "bundle")],  # as `one`
                          capture_output=True, text=True, env={**os.environ, **THREADS}, timeout=300)
    assert proc.returncode == 0, proc.stderr[:3000]  # the ranks' own lines come first, the launcher's summary last
    assert proc.stdout.count("wrote bundle") == 1  # rank 0 writes; rank 1 only trained
    fit = json.loads((tmp_path / "bundle" / "state.json").read_text())["fit"]
    assert fit["distributed"] == {"workers": 2, "backend": "gloo", "launcher": "torchrun"}
    np.testing.assert_allclose(losses(fit), losses(one.fit_info_), rtol=1e-4)


def test_a_killed_worker_fails_the_run_with_one_line_and_writes_nothing(cli, tmp_path):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "bundle"
    proc = subprocess.Popen([str(Path(sys.executable).with_name("synthguard")), "fit", "finance", "--dataset",
                             "german_credit", "--workers", "2", "--epochs", "300", "--device", "cpu", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **THREADS})
    workers, deadline = [], time.time() + 240
    while len(workers) < 2 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
        workers = [c for c in psutil.Process(proc.pid).children() if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2, proc.communicate()[1]
    time.sleep(3)
    workers[1].send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=120)  # no hang: the other worker is stopped, not left waiting on its peer
    assert proc.returncode == 2
    progress = [line for line in err.strip().splitlines() if line.startswith("[")]  # a slow start says it trains
    assert err.strip().splitlines()[len(progress):] == ["error: training worker 1 of 2 was killed by SIGKILL: the run "
                                                         "stopped; nothing was written"]
    assert not out.exists()


def test_bad_workers_are_refused_before_training(cli, tmp_path):
    proc = cli("fit", "finance", "--dataset", "german_credit", "--out", str(tmp_path / "bundle"), "--workers", "0")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: generator 'finance': option 'workers': Input should be "
                                                "greater than or equal to 1"]
    assert not (tmp_path / "bundle").exists()


@pytest.mark.parametrize("args, says", [  # the same command line, in this process (a CLI start costs seconds)
    (["--workers", "100000"], "option 'workers': Input should be less than or equal to 1024"),
    (["--workers", "2", "--epsilon", "1"], "--workers 2 with --epsilon: DP training in several processes is refused"),
    (["--workers", "2", "--set", "epsilon=1"], "--workers 2 with --epsilon: DP training in several processes is refused"),
])
def test_bad_workers_options(tmp_path, args, says):
    from synthguard.cli import main

    with pytest.raises(sg.ConfigError, match=re.escape(says)):
        main(["fit", "finance", "--dataset", "german_credit", "--out", str(tmp_path / "bundle"), *args],
             standalone_mode=False)
    assert not (tmp_path / "bundle").exists()


def test_workers_for_a_generator_that_trains_in_one_process_is_refused(tmp_path):
    from synthguard.cli import main

    with pytest.raises(sg.ConfigError, match=re.escape("generator 'finance-vae' trains in one process (no 'workers' "
                                                       "option): expected --workers 1")):
        main(["fit", "finance-vae", "--dataset", "german_credit", "--out", str(tmp_path / "bundle"), "--workers", "2"],
             standalone_mode=False)
    assert not (tmp_path / "bundle").exists()


def test_more_workers_than_cores_and_dp_sgd_are_refused_before_training():
    frame = sg.Engine().dataset("german_credit").load().frame.iloc[:100]
    cores = len(os.sched_getaffinity(0))
    with pytest.raises(sg.ConfigError, match=rf"--workers {cores + 1}: expected at most {cores} \(the CPU cores"):
        sg.fit("finance", data=frame, config={**TINY_FINANCE, "workers": cores + 1}, device="cpu")
    from synthguard_finance.generator import FinanceGenerator  # DP-SGD on the default model (not the domain's DP one)

    model = FinanceGenerator({**TINY_FINANCE, "workers": 2, "epsilon": 1.0})
    with pytest.raises(sg.ConfigError, match="DP-SGD under data-parallel training is refused"):
        sg.fit(model, data=frame, device="cpu")
