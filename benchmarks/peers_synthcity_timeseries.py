"""synthcity's time-series generators (TimeGAN, TimeVAE) on a TimeGAN-protocol panel; runs in its own venv.

synthcity 0.2.12 pins torch < 2.3, so it cannot share SynthGuard's environment:

    python3 -m venv /tmp/synthcity/.venv
    /tmp/synthcity/.venv/bin/pip install torch==2.2.2
    /tmp/synthcity/.venv/bin/pip install synthcity==0.2.12 torch==2.2.2 opacus==1.4.1   # opacus 1.5 needs torch >= 2.4
    .venv/bin/python benchmarks/sensor_sines_timegan.py --panel basic_motions --export-panel /tmp/basic_motions.npy
    OMP_NUM_THREADS=1 /tmp/synthcity/.venv/bin/python benchmarks/peers_synthcity_timeseries.py --plugin timevae \
        --panel /tmp/basic_motions.npy --out /tmp/runs/bm_timevae.npy --seed 0 --n-iter 20

Fits the plugin on the (N, T, C) panel (one DataFrame per window, times 0..T-1, a constant dummy outcome because
these plugins always fit an outcome model), writes N generated windows as float32 (N, T, C) and, beside them, a
JSON with the fit/sample seconds, every hyperparameter in use and the versions. Windows are drawn from the plugin's
covariate model directly: ``plugin.generate()`` also generates observation times and drops steps outside the
training range, so its windows come back shorter than T. Measured 2026-12-06 (benchmarks/README.md, "Sensor: the
patch-flow default"): at synthcity's default 1,000 iterations a fit takes ~26–38 h (TimeGAN) and ~5–7 h (TimeVAE)
on one core of this machine, so the TimeVAE row of that table is benchmarks/timevae_baseline.py instead.
"""
import argparse
import importlib.metadata as md
import inspect
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import torch

torch.set_num_threads(1)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def jsonable(v):
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    return repr(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plugin", required=True, choices=["timegan", "timevae"])
    ap.add_argument("--panel", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-iter", type=int, default=None, help="default: synthcity's")
    ap.add_argument("--batch-size", type=int, default=None, help="default: synthcity's")
    ap.add_argument("--max-windows", type=int, default=None,
                    help="debug only: fit on the first K windows")
    args = ap.parse_args()

    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    X = np.load(args.panel).astype(np.float32)
    if args.max_windows:
        X = X[: args.max_windows]
    N, T, C = X.shape
    log(f"panel {args.panel}: shape {X.shape}, min {X.min():.4f} max {X.max():.4f}")

    # Zero-padded names: TimeSeriesDataLoader sorts temporal feature names, so this keeps
    # the channel order.
    cols = [f"c{j:03d}" for j in range(C)]
    temporal = [pd.DataFrame(X[i], columns=cols) for i in range(N)]
    obs_times = [list(range(T)) for _ in range(N)]
    # The timegan/timevae plugins always fit an "outcome" model on the loader's outcome;
    # we pass a constant dummy outcome column (static_data None -> 0 static features).
    outcome = pd.DataFrame({"dummy_outcome": np.zeros(N, dtype=np.float32)})

    from synthcity.plugins import Plugins
    from synthcity.plugins.core.dataloader import TimeSeriesDataLoader
    from synthcity.plugins.core.models import ts_model as _tsm
    from synthcity.plugins.core.models import ts_gan as _tsg
    from synthcity.plugins.core.models import ts_vae as _tsv
    import synthcity.logger as slog

    t0 = time.perf_counter()
    loader = TimeSeriesDataLoader(
        temporal_data=temporal, observation_times=obs_times, static_data=None,
        outcome=outcome, random_state=args.seed,
    )
    log(f"dataloader built in {time.perf_counter() - t0:.1f}s")

    kwargs = {"random_state": args.seed, "device": "cpu",
              "workspace": Path(args.out).parent / "workspace"}
    if args.n_iter is not None:
        kwargs["n_iter"] = args.n_iter
    if args.batch_size is not None:
        kwargs["batch_size"] = args.batch_size
    plugin = Plugins(categories=["time_series"]).get(args.plugin, **kwargs)
    # Plugin loading resets loguru to CRITICAL-only; re-add a sink so TimeVAE prints its
    # loss every n_iter_print epochs (TimeGAN shows a tqdm bar on stderr).
    slog.add(sys.stdout, "INFO")

    # Every constructor argument with the value actually in use (defaults included).
    sig = inspect.signature(type(plugin).__init__)
    hparams = {}
    for name in sig.parameters:
        if name in ("self", "kwargs"):
            continue
        hparams[name] = jsonable(getattr(plugin, name, sig.parameters[name].default))
    log(f"plugin {args.plugin} hyperparameters: {hparams}")

    # Time the auxiliary outcome model separately (timegan/timevae fit one after the
    # covariate generator, with its own n_iter loop).
    aux = {"outcome_model_fit_s": 0.0, "generator_train_loop_s": 0.0}
    orig_fit = _tsm.TimeSeriesModel.fit

    def timed_fit(self, *a, **k):
        s = time.perf_counter()
        log("outcome model fit start")
        r = orig_fit(self, *a, **k)
        aux["outcome_model_fit_s"] += time.perf_counter() - s
        log(f"outcome model fit done in {time.perf_counter() - s:.1f}s")
        return r

    _tsm.TimeSeriesModel.fit = timed_fit

    # Time the generator's own training loop (n_iter epochs), excluding the
    # TabularEncoder (Bayesian-GMM) fit that precedes it.
    def wrap_train(cls):
        orig = cls._train

        def timed_train(self, *a, **k):
            s = time.perf_counter()
            log(f"{cls.__name__} training loop start")
            r = orig(self, *a, **k)
            aux["generator_train_loop_s"] += time.perf_counter() - s
            log(f"{cls.__name__} training loop done in {time.perf_counter() - s:.1f}s")
            return r

        cls._train = timed_train

    wrap_train(_tsg.TimeSeriesGAN)
    wrap_train(_tsv.TimeSeriesVAE)

    log("fit start")
    t0 = time.perf_counter()
    plugin.fit(loader)
    fit_s = time.perf_counter() - t0
    log(f"fit done in {fit_s:.1f}s")

    # Generation. synthcity's time-series models also GENERATE the observation times, and
    # plugin.generate() (strict=True) drops every row whose generated time falls outside
    # the training range, so windows come back ragged (< T steps). We therefore sample the
    # covariate model directly (the same call plugin._generate makes) and keep the T
    # generated steps in generation order. TimeGAN is conditioned on times 0..T-1 (its
    # generate() accepts observation_times); TimeVAE has no such input, so its generated
    # times are only recorded.
    log(f"generate {N} windows")
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    t0 = time.perf_counter()
    chunks, times = [], []
    left, chunk = N, 2000
    while left > 0:
        n = min(chunk, left)
        if args.plugin == "timegan":
            st, tmp, ot = plugin.cov_model.generate(
                n, observation_times=np.tile(np.arange(T, dtype=float), (n, 1)))
        else:
            st, tmp, ot = plugin.cov_model.generate(n)
        chunks.append(np.stack([df[cols].to_numpy(dtype=np.float32) for df in tmp]))
        times.append(np.asarray(ot, dtype=np.float64))
        left -= n
        log(f"  generated {N - left}/{N}")
    temporal_s = np.concatenate(chunks)
    gen_times = np.concatenate(times)
    sample_s = time.perf_counter() - t0
    log(f"generate done in {sample_s:.1f}s: raw {temporal_s.shape}")
    n_nan = int(np.isnan(temporal_s).sum())
    time_err = float(np.abs(gen_times - np.arange(T)[None, :]).mean())
    log(f"generated observation times: mean |t - step index| = {time_err:.3f}")
    if temporal_s.shape[1] != T or n_nan:
        log(f"WARNING: generated windows have length {temporal_s.shape[1]} / {n_nan} NaNs")
    Y = temporal_s[:N, :T, :].astype(np.float32)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, Y)
    log(f"saved {out}: shape {Y.shape}, min {np.nanmin(Y):.4f} max {np.nanmax(Y):.4f}")
    log("real mean per channel: " + np.array2string(X.mean((0, 1)), precision=3))
    log("syn  mean per channel: " + np.array2string(np.nanmean(Y, (0, 1)), precision=3))

    meta = {
        "plugin": args.plugin,
        "panel": str(args.panel),
        "panel_shape": [N, T, C],
        "seed": args.seed,
        "fit_seconds": fit_s,
        "outcome_model_fit_seconds": aux["outcome_model_fit_s"],
        "generator_train_loop_seconds": aux["generator_train_loop_s"],
        "sample_seconds": sample_s,
        "generated_time_mean_abs_err": time_err,
        "generation_path": "plugin.cov_model.generate (observation_times=0..T-1 for timegan)",
        "generated_raw_shape": list(temporal_s.shape),
        "generated_nan_count": n_nan,
        "hyperparameters": hparams,
        "synthcity_version": md.version("synthcity"),
        "torch_version": torch.__version__,
        "torch_num_threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
    }
    with open(out.with_suffix(".json"), "w") as f:
        json.dump(meta, f, indent=2)
    log(f"wrote {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
