"""Experiment: what TimeGAN's GRU discriminator can see in `sensor-flow`'s windows that real windows do not have.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sensor_flow_diagnose.py --panel basic_motions --seed 0 \
        --save /tmp/flow_bm_s0 --out benchmarks/results/sensor_flow_diagnose_basic_motions.json
    # the same fitted model again, sampled with other solver settings (no refit):
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sensor_flow_diagnose.py --model /tmp/flow_bm_s0 \
        --variants solver_steps=32 solver_steps=128 --discriminative 2 --out /tmp/diag.json

Fits ``sensor-flow`` (or ``--generator``; ``--set key=value`` overrides its config) once on the panel of
``benchmarks/sensor_sines_timegan.py`` (a real panel MinMax-scaled to [0, 1] and cut into every 24-step window,
or Sines), or loads a saved bundle (``--model``), samples as many windows as the panel has (seed = fit seed, as
the benchmark does) and compares them with the real windows on what a GRU reading the window can pick up:

* marginals per channel: mean, std, Wasserstein-1 distance between the value distributions;
* roughness: mean |x_t − x_{t−1}| and |second difference| per channel (synthetic / real);
* power spectrum of each window (rFFT over the 24 steps, window mean removed), mean power per frequency bin,
  synthetic / real; "high band" = the upper half of the bins;
* autocorrelation at lags 1–3 (within each window, mean over windows);
* cross-channel correlation of the values and of the step differences (largest and mean |difference|);
* per class (the panel's ``activity``): mean, std and roughness per channel, synthetic / real;
* seams: mean |x_t − x_{t−1}| at every step t, synthetic / real — the flow cuts a window into patches (4 steps
  on 24), so a jump at steps 4, 8, 12, 16, 20 would be a seam;
* single-feature separability: for per-window features (level, spread, roughness, lag-1 autocorrelation per
  channel), the AUC of telling real from synthetic by that one number (0.5 = cannot; printed as |AUC − 0.5|);
* optionally (``--discriminative N``) N runs of the benchmark's own discriminative score.

``--variants key=value ...`` samples the same fitted model once per sampling setting (``solver_steps``,
``solver``, ``temperature``: attributes of the network or the config that only sampling reads) and reports each.
Prints a table per variant and writes everything to ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import synthguard as sg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import parse_settings  # noqa: E402
from sensor_sines_timegan import discriminative, panel  # noqa: E402


def _w1(a: np.ndarray, b: np.ndarray, q: int = 200) -> float:
    """Wasserstein-1 distance between two samples, from their quantiles."""
    p = (np.arange(q) + 0.5) / q
    return float(np.abs(np.quantile(a, p) - np.quantile(b, p)).mean())


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a value of ``pos`` ranks above one of ``neg`` (Mann–Whitney AUC)."""
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([pos, neg]))
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _acf(x: np.ndarray, lag: int) -> np.ndarray:
    """(N, C) lag autocorrelation of each window and channel (window mean removed)."""
    d = x - x.mean(1, keepdims=True)
    num = (d[:, lag:] * d[:, :-lag]).sum(1)
    den = (d * d).sum(1)
    return np.where(den > 1e-12, num / np.maximum(den, 1e-12), 0.0)


def _spectrum(x: np.ndarray) -> np.ndarray:
    """(bins, C) mean power per rFFT bin of the mean-removed windows."""
    return (np.abs(np.fft.rfft(x - x.mean(1, keepdims=True), axis=1)) ** 2).mean(0)


def _corr(x: np.ndarray) -> np.ndarray:
    flat = x.reshape(-1, x.shape[2])
    return np.nan_to_num(np.corrcoef(flat, rowvar=False))


def _features(x: np.ndarray) -> dict[str, np.ndarray]:
    """Per-window numbers, (N, C) each."""
    return {"level": x.mean(1), "spread": x.std(1), "rough": np.abs(np.diff(x, axis=1)).mean(1),
            "rough2": np.abs(np.diff(x, 2, axis=1)).mean(1), "acf1": _acf(x, 1),
            "range": x.max(1) - x.min(1)}


def compare(real: np.ndarray, syn: np.ndarray, real_cls: np.ndarray | None, syn_cls: np.ndarray | None,
            channels: list[str], patch: int | None) -> dict:
    """Every statistic of the module docstring, real beside synthetic."""
    out: dict = {"channels": channels}
    out["marginal"] = {c: {"mean": [round(float(real[..., i].mean()), 4), round(float(syn[..., i].mean()), 4)],
                           "std": [round(float(real[..., i].std()), 4), round(float(syn[..., i].std()), 4)],
                           "w1": round(_w1(real[..., i].ravel(), syn[..., i].ravel()), 4)}
                       for i, c in enumerate(channels)}
    dr, ds = np.abs(np.diff(real, axis=1)), np.abs(np.diff(syn, axis=1))
    d2r, d2s = np.abs(np.diff(real, 2, axis=1)), np.abs(np.diff(syn, 2, axis=1))
    out["roughness"] = {c: {"mean_abs_diff": [round(float(dr[..., i].mean()), 5), round(float(ds[..., i].mean()), 5)],
                            "ratio": round(float(ds[..., i].mean() / dr[..., i].mean()), 3),
                            "second_diff_ratio": round(float(d2s[..., i].mean() / d2r[..., i].mean()), 3)}
                        for i, c in enumerate(channels)}
    pr, ps = _spectrum(real), _spectrum(syn)
    ratio = ps.mean(1) / pr.mean(1)
    half = pr.shape[0] // 2
    out["spectrum"] = {"bins": pr.shape[0], "ratio_per_bin": [round(float(r), 3) for r in ratio[1:]],
                       "low_band_ratio": round(float(ps[1:half].sum() / pr[1:half].sum()), 3),
                       "high_band_ratio": round(float(ps[half:].sum() / pr[half:].sum()), 3),
                       "high_band_ratio_per_channel": {c: round(float(ps[half:, i].sum() / pr[half:, i].sum()), 3)
                                                       for i, c in enumerate(channels)}}
    out["acf"] = {f"lag{k}": {"real": round(float(_acf(real, k).mean()), 4), "syn": round(float(_acf(syn, k).mean()), 4)}
                  for k in (1, 2, 3)}
    cv, cd = _corr(real) - _corr(syn), _corr(np.diff(real, axis=1)) - _corr(np.diff(syn, axis=1))
    off = ~np.eye(len(channels), dtype=bool)
    out["cross_correlation"] = {"values_max_abs_diff": round(float(np.abs(cv[off]).max()), 3),
                                "values_mean_abs_diff": round(float(np.abs(cv[off]).mean()), 3),
                                "diffs_max_abs_diff": round(float(np.abs(cd[off]).max()), 3),
                                "diffs_mean_abs_diff": round(float(np.abs(cd[off]).mean()), 3)}
    step_r, step_s = dr.mean((0, 2)), ds.mean((0, 2))  # |x_t - x_{t-1}| for t = 1..T-1
    by_step = step_s / step_r
    out["by_step"] = {"ratio": [round(float(r), 3) for r in by_step]}
    if patch and patch < real.shape[1]:
        seams = [t for t in range(patch, real.shape[1], patch)]
        inside = [t for t in range(1, real.shape[1]) if t not in seams]
        out["by_step"].update({"patch": patch, "seam_steps": seams,
                               "seam_ratio": round(float(by_step[[t - 1 for t in seams]].mean()), 3),
                               "inside_ratio": round(float(by_step[[t - 1 for t in inside]].mean()), 3)})
    if real_cls is not None and syn_cls is not None:
        per = {}
        for k in sorted(set(real_cls) | set(syn_cls), key=str):
            r, s = real[real_cls == k], syn[syn_cls == k]
            if not len(r) or not len(s):
                per[str(k)] = {"real_n": int(len(r)), "syn_n": int(len(s))}
                continue
            per[str(k)] = {"real_n": int(len(r)), "syn_n": int(len(s)),
                           "std_ratio": round(float(s.std((0, 1)).mean() / r.std((0, 1)).mean()), 3),
                           "rough_ratio": round(float(np.abs(np.diff(s, axis=1)).mean()
                                                      / np.abs(np.diff(r, axis=1)).mean()), 3),
                           "mean_abs_level_diff": round(float(np.abs(s.mean((0, 1)) - r.mean((0, 1))).mean()), 4),
                           "high_band_ratio": round(float(_spectrum(s)[half:].sum() / _spectrum(r)[half:].sum()), 3),
                           "rough_ratio_per_channel": [round(float(np.abs(np.diff(s[..., i], axis=1)).mean()
                                                                   / np.abs(np.diff(r[..., i], axis=1)).mean()), 3)
                                                       for i in range(len(channels))]}
        out["per_class"] = per
    fr, fs = _features(real), _features(syn)
    sep = {f"{name}:{c}": round(_auc(fr[name][:, i], fs[name][:, i]) - 0.5, 4)
           for name in fr for i, c in enumerate(channels)}
    out["single_feature_auc_minus_half"] = dict(sorted(sep.items(), key=lambda kv: -abs(kv[1])))
    return out


def table(name: str, d: dict) -> None:
    print(f"\n=== {name} ===")
    print("| channel | mean real/syn | std real/syn | W1 | |dx| ratio | |d2x| ratio | high-band power ratio |")
    print("|---|---|---|---:|---:|---:|---:|")
    for c in d["channels"]:
        m, r = d["marginal"][c], d["roughness"][c]
        print(f"| {c} | {m['mean'][0]:.3f}/{m['mean'][1]:.3f} | {m['std'][0]:.3f}/{m['std'][1]:.3f} | {m['w1']:.4f} "
              f"| {r['ratio']:.3f} | {r['second_diff_ratio']:.3f} | {d['spectrum']['high_band_ratio_per_channel'][c]:.3f} |")
    s = d["spectrum"]
    print(f"spectrum syn/real per bin (1..{s['bins'] - 1}): {s['ratio_per_bin']}; low band {s['low_band_ratio']}, "
          f"high band {s['high_band_ratio']}")
    print("acf lags 1-3 real/syn: " + ", ".join(f"{v['real']:.3f}/{v['syn']:.3f}" for v in d["acf"].values()))
    print(f"cross-channel correlation |diff|: values max {d['cross_correlation']['values_max_abs_diff']} mean "
          f"{d['cross_correlation']['values_mean_abs_diff']}; differences max {d['cross_correlation']['diffs_max_abs_diff']} "
          f"mean {d['cross_correlation']['diffs_mean_abs_diff']}")
    b = d["by_step"]
    print(f"|dx| syn/real by step t=1..: {b['ratio']}")
    if "seam_ratio" in b:
        print(f"  seams (t={b['seam_steps']}): {b['seam_ratio']} vs inside patches {b['inside_ratio']}")
    for k, v in d.get("per_class", {}).items():
        print(f"class {k}: n {v['real_n']}/{v['syn_n']}" + ("" if "std_ratio" not in v else
              f", std ratio {v['std_ratio']}, |dx| ratio {v['rough_ratio']} (per channel {v['rough_ratio_per_channel']}), "
              f"high band {v['high_band_ratio']}, |level diff| {v['mean_abs_level_diff']}"))
    top = list(d["single_feature_auc_minus_half"].items())[:8]
    print("most separating single features (AUC - 0.5): " + ", ".join(f"{k} {v:+.3f}" for k, v in top))
    if "discriminative_runs" in d:
        print(f"discriminative runs: {d['discriminative_runs']} mean {d['discriminative']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panel", default="basic_motions", choices=["sines", "basic_motions", "daphnet"])
    ap.add_argument("--generator", default="sensor-flow")
    ap.add_argument("--seed", type=int, default=0, help="fit and sampling seed")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="config of the generator")
    ap.add_argument("--model", type=Path, help="a saved bundle to sample instead of fitting")
    ap.add_argument("--save", type=Path, help="save the fitted bundle here")
    ap.add_argument("--variants", nargs="*", default=[], metavar="KEY=VALUE",
                    help="sampling settings to compare on the same fit (solver_steps, solver, temperature)")
    ap.add_argument("--discriminative", type=int, default=0, help="runs of the benchmark's discriminative score")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/sensor_flow_diagnose.json"))
    args = ap.parse_args()

    records, real = panel(args.panel, 10_000, seed=0)
    real_cls = None if records.statics is None or "activity" not in records.statics else records.statics["activity"].to_numpy()
    report = {"panel": args.panel, "generator": args.generator, "seed": args.seed, "date": time.strftime("%Y-%m-%d %H:%M"),
              "load_average": [round(v, 2) for v in os.getloadavg()], "variants": {}}
    if args.model:
        model = sg.load(args.model)
        report["model"] = str(args.model)
    else:
        start = time.perf_counter()
        model = sg.fit(args.generator, records, seed=args.seed, progress=False, config=parse_settings(args.set) or None)
        report["fit_seconds"] = round(time.perf_counter() - start, 1)
        if args.save:
            model.save(args.save)
    report["config"] = {k: v for k, v in dict(model.config).items() if not callable(v)} if hasattr(model, "config") else None
    report["fit_info"] = {k: v for k, v in model.fit_info_.items() if k != "history"}
    net = getattr(model, "model_", None)
    patch = getattr(net, "patch", None)
    for variant in args.variants or [""]:
        settings = parse_settings([variant]) if variant else {}
        for key, value in settings.items():
            if key == "temperature":
                model.config = model.config.model_copy(update={"temperature": value})
            else:
                setattr(net, key, value)
        start = time.perf_counter()
        out = model.sample(len(real), seed=args.seed)
        sample_s = time.perf_counter() - start
        syn = out.values
        syn_cls = None if out.statics is None or "activity" not in out.statics else out.statics["activity"].to_numpy()
        d = compare(real, syn, real_cls, syn_cls, list(records.channels), patch)
        d["sample_seconds"] = round(sample_s, 2)
        if args.discriminative:
            runs = [discriminative(real, syn, seed=i) for i in range(args.discriminative)]
            d["discriminative_runs"] = [round(r, 4) for r in runs]
            d["discriminative"] = round(float(np.mean(runs)), 4)
        report["variants"][variant or "as fitted"] = d
        table(variant or "as fitted", d)
    args.out.write_text(json.dumps(report, indent=1, default=str) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
