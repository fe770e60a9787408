"""The sensor generators on TimeGAN's protocol (Sines, and the shipped real panels cut the same way); run by hand.

    python benchmarks/sensor_sines_timegan.py --generators sensor-flow sensor --seeds 0 1 2   # Sines, 3 fits each
    python benchmarks/sensor_sines_timegan.py --panel basic_motions --generators sensor-flow sensor --seeds 0 1 2 \
        --out benchmarks/results/sensor_timegan_basic_motions.json
    python benchmarks/sensor_sines_timegan.py --panel daphnet --generators timevae --seeds 0   # a TimeVAE-style baseline
    python benchmarks/sensor_sines_timegan.py --generators timegan --seeds 0   # TimeGAN (timegan_baseline.py)

The protocol is the one TimeGAN (Yoon et al., NeurIPS 2019, ``metrics/`` in its code) defined and Diffusion-TS
(Yuan & Qiao, ICLR 2024, Table 1) reused, re-implemented here in PyTorch because that code is TensorFlow 1 (the
plugin's own per-run scores use bigger classifiers and a holdout, so they are not comparable with the published table):

* data: Sines — per sequence and channel sin(f·t + φ) with f, φ ~ U(0, 0.1), t = 0..23, mapped to [0, 1]
  (simulated: no real person or device behind it), 10,000 sequences × 24 steps × 5 channels; a real panel
  (``--panel basic_motions|daphnet``) is MinMax-scaled to [0, 1] per channel over the whole panel and cut into
  every 24-step window (stride 1), as TimeGAN's ``real_data_loading`` does for Stocks/Energy. The generator is
  fitted on all of it (its defaults) and samples as many sequences.
* discriminative: a ONE-layer GRU with dim/2 units (TimeGAN's ``GRUCell(num_units=hidden_dim)``; not two layers)
  reads each sequence, a linear output on its last state says real or synthetic; 80% of each side trains it
  (2,000 Adam steps, lr 1e-3, batches of 128 distinct real + 128 distinct synthetic), the other 20% tests it;
  score |accuracy − 0.5|.
* predictive: a one-layer GRU with dim/2 units trained on the synthetic sequences (5,000 steps, batch 128, MAE,
  sigmoid output) predicts the last channel one step ahead from the other channels; score the MAE on every real
  sequence.

Each metric is run ``--repeats`` times per fit (Diffusion-TS: 5; TimeGAN's paper: 10) and each generator is
fitted once per ``--seeds`` seed; the table reports mean ± std over all runs, the JSON each fit's runs. "real vs
real" scores a second, independent draw of Sines in place of the synthetic data (what a perfect generator would
get); "real" predictive trains the predictor on the real panel itself (Diffusion-TS's "Original" row).
Writes benchmarks/results/sensor_sines_timegan.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import timegan_baseline
from harness import parse_settings
import timevae_baseline

RESULTS = Path(__file__).resolve().parent / "results" / "sensor_sines_timegan.json"
WINDOW = 24  # TimeGAN / Diffusion-TS: sequences of 24 steps
PROTOCOL = ("TimeGAN (Yoon et al. 2019) metrics as Diffusion-TS (Yuan & Qiao 2024) runs them: data in [0, 1] (MinMax per "
            "channel), 24-step windows (stride 1 on real panels), as many synthetic as real; discriminative: one-layer GRU "
            "with dim/2 units + linear output, 80/20 split of each side, 2,000 Adam steps (lr 1e-3, 128 a side), "
            "|accuracy - 0.5| on the 20%; predictive: one-layer GRU with dim/2 units trained on synthetic (5,000 steps, "
            "batch 128, MAE) to predict the last channel one step ahead from the others, MAE on every real window; "
            "each metric run 5 times per fit, mean ± std")
#: Sines. TimeGAN: Yoon et al. 2019, Table 2, mean ± std over 10 metric runs. Diffusion-TS and TimeVAE: Diffusion-TS
#: (ICLR 2024) Table 1, discriminative means as issue 25 quotes them (std and predictive not copied here: None).
PUBLISHED = {"TimeGAN": {"discriminative": (0.011, 0.008), "predictive": (0.093, 0.019)},
             "Diffusion-TS": {"discriminative": (0.006, None), "predictive": (None, None)},
             "TimeVAE": {"discriminative": (0.041, None), "predictive": (None, None)}}


def sines(rows: int, length: int = 24, features: int = 5, seed: int = 0) -> np.ndarray:
    """TimeGAN's Sines panel: (rows, length, features) in [0, 1], one frequency and phase per sequence and feature."""
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0, 0.1, size=(rows, 1, features))
    phase = rng.uniform(0, 0.1, size=(rows, 1, features))
    t = np.arange(length).reshape(1, length, 1)
    return (np.sin(freq * t + phase) + 1) * 0.5


class _Reader(nn.Module):
    """A GRU with ``hidden`` units and a linear output (TimeGAN's post-hoc networks)."""

    def __init__(self, inputs: int, hidden: int):
        super().__init__()
        self.gru = nn.GRU(inputs, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, every_step: bool) -> torch.Tensor:
        states, last = self.gru(x)
        return self.out(states if every_step else last[-1])


def discriminative(real: np.ndarray, syn: np.ndarray, seed: int, steps: int = 2000, batch: int = 128) -> float:
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    split = []
    for data in (real, syn):
        perm = torch.randperm(len(data), generator=gen)
        cut = int(0.8 * len(data))
        x = torch.as_tensor(data, dtype=torch.float32)
        split.append((x[perm[:cut]], x[perm[cut:]]))
    (real_train, real_test), (syn_train, syn_test) = split
    model = _Reader(real.shape[2], max(1, real.shape[2] // 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    bce = nn.BCEWithLogitsLoss()
    for _ in range(steps):
        r = real_train[torch.randperm(len(real_train), generator=gen)[:batch]]  # TimeGAN's batch_generator:
        s = syn_train[torch.randperm(len(syn_train), generator=gen)[:batch]]    # 128 distinct rows a side
        logits = model(torch.cat([r, s]), every_step=False)[:, 0]
        loss = bce(logits, torch.cat([torch.ones(batch), torch.zeros(batch)]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        guess = model(torch.cat([real_test, syn_test]), every_step=False)[:, 0] > 0
    truth = torch.cat([torch.ones(len(real_test)), torch.zeros(len(syn_test))]).bool()
    return abs(float((guess == truth).float().mean()) - 0.5)


def predictive(syn: np.ndarray, real: np.ndarray, seed: int, steps: int = 5000, batch: int = 128) -> float:
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    dim = syn.shape[2]
    s, r = torch.as_tensor(syn, dtype=torch.float32), torch.as_tensor(real, dtype=torch.float32)
    model = _Reader(dim - 1, max(1, dim // 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(steps):
        x = s[torch.randperm(len(s), generator=gen)[:batch]]
        pred = torch.sigmoid(model(x[:, :-1, :-1], every_step=True))
        loss = (pred - x[:, 1:, -1:]).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = torch.sigmoid(model(r[:, :-1, :-1], every_step=True))
    return float((pred - r[:, 1:, -1:]).abs().mean())


def scores(real: np.ndarray, other: np.ndarray, repeats: int, predictive_repeats: int | None = None) -> dict:
    disc = [discriminative(real, other, seed=i) for i in range(repeats)]
    pred = [predictive(other, real, seed=i) for i in range(repeats if predictive_repeats is None else predictive_repeats)]
    return {"discriminative": _mean_std(disc), "predictive": _mean_std(pred),
            "discriminative_runs": [round(d, 4) for d in disc], "predictive_runs": [round(p, 4) for p in pred]}


def _mean_std(runs: list[float]) -> list[float | None]:
    """[mean, std] rounded, or [None, None] when the metric was not run (``--predictive-repeats 0``)."""
    return [round(float(np.mean(runs)), 4), round(float(np.std(runs)), 4)] if runs else [None, None]


def windows(records, length: int = WINDOW):
    """TimeGAN's real-data loading for a panel of recordings: per-channel MinMax to [0, 1] over the whole panel,
    then every window of ``length`` steps (stride 1) of every recording; each window keeps its recording's statics
    and id (so the generators' validation split keeps a recording's windows on one side)."""
    import synthguard as sg

    v = records.values
    lo, hi = np.nanmin(v, axis=(0, 1)), np.nanmax(v, axis=(0, 1))
    v = (v - lo) / np.where(hi > lo, hi - lo, 1.0)
    starts = range(v.shape[1] - length + 1)
    cut = np.stack([v[:, i:i + length] for i in starts], axis=1).reshape(-1, length, v.shape[2])
    rec = np.repeat(np.arange(len(v)), len(starts))
    statics = records.statics.iloc[rec].reset_index(drop=True) if records.statics.shape[1] else None
    ids = np.asarray(records.entity_ids)[rec] if records.entity_ids is not None else rec.astype(str)
    return sg.SequenceSet(cut, records.channels, statics, entity_ids=ids)


def panel(name: str, rows: int, seed: int):
    """(records to fit on, their values as the metrics read them) for ``sines`` or a shipped sensor dataset."""
    import synthguard as sg

    if name == "sines":
        real = sines(rows, seed=seed)
        return sg.SequenceSet(real, [f"sine_{i}" for i in range(real.shape[2])]), real
    if name == "daphnet":  # the one long recording (110 s at 64 Hz) the dataset cuts into 1-s windows, whole again
        recs = sg.datasets()[name].load()
        whole = recs.values.reshape(1, -1, recs.values.shape[2])
        recs = sg.SequenceSet(whole, recs.channels, entity_ids=np.array(["S06R02"]))
    else:
        recs = sg.datasets()[name].load()
    cut = windows(recs)
    return cut, cut.values


def main() -> None:
    import synthguard as sg

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panel", default="sines", choices=["sines", "basic_motions", "daphnet"],
                    help="sines (simulated, 10,000 x 24 x 5) or a shipped real panel cut into 24-step windows")
    ap.add_argument("--rows", type=int, default=10_000, help="sequences in the Sines panel (TimeGAN: 10,000)")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each metric per fit (Diffusion-TS: 5)")
    ap.add_argument("--predictive-repeats", type=int, default=None, help="runs of the predictive score (default: --repeats)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="fit seeds (each scored --repeats times)")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="config of the generators (all of them)")
    ap.add_argument("--no-reference", action="store_true", help="skip the real-vs-real rows (when merging runs)")
    ap.add_argument("--merge", type=Path, nargs="+", help="combine the JSON of runs split by seed or generator into --out")
    ap.add_argument("--generators", nargs="+", default=["sensor", "sensor-conv-ar"])
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--export-panel", type=Path, help="write the panel's windows as a float32 .npy and stop")
    ap.add_argument("--timevae-epochs", type=int, default=1000,
                    help="generator `timevae` (the TimeVAE-style baseline): at most this many epochs (its authors': 1000)")
    ap.add_argument("--timegan-iterations", type=int, default=10_000,
                    help="generator `timegan`: batches in each of its three phases (its authors' tutorial: 10,000)")
    args = ap.parse_args()
    if args.merge:
        return merge(args.merge, args.out)
    config = parse_settings(args.set)  # JSON values, or plain strings (stop_on=weights)

    records, real = panel(args.panel, args.rows, seed=0)
    if args.export_panel:  # for peers that run in their own environment (peers_synthcity_timeseries.py)
        return np.save(args.export_panel, np.asarray(real, dtype=np.float32))
    n = len(real)
    rows = {}
    for generator in args.generators:
        fits = []
        for seed in args.seeds:
            start = time.perf_counter()
            if generator in ("timevae", "timegan"):  # baselines, fitted on the windows the metrics read
                syn, info = (timevae_baseline.fit_sample(real, n, seed, max_epochs=args.timevae_epochs)
                             if generator == "timevae" else
                             timegan_baseline.fit_sample(real, n, seed, iterations=args.timegan_iterations))
                sample_s = info.pop("sample_seconds")
                fit_s, epochs, fit_config = time.perf_counter() - start - sample_s, info["epochs_run"], info
            else:
                model = sg.fit(generator, records, seed=seed, progress=False, config=config or None)
                fit_s = time.perf_counter() - start
                start = time.perf_counter()
                syn = model.sample(n, seed=seed).values  # labelled panels: labels drawn by their training frequency
                sample_s, epochs, fit_config = time.perf_counter() - start, model.fit_info_.get("epochs_run"), config
            fits.append({"seed": seed, "fit_seconds": round(fit_s, 1), "epochs_run": epochs,
                         "sample_seconds": round(sample_s, 2), "config": fit_config,
                         **scores(real, syn, args.repeats, args.predictive_repeats)})
            print(generator, fits[-1], flush=True)
        rows[generator] = summary(fits)
    if args.panel == "sines" and not args.no_reference:
        rows["real vs real (second draw)"] = scores(real, sines(args.rows, seed=1), args.repeats, args.predictive_repeats)
    if not args.no_reference:
        pred = [predictive(real, real, seed=i) for i in range(args.predictive_repeats or args.repeats)]
        rows["real (predictor trained on the real panel)"] = {
            "predictive": [round(float(np.mean(pred)), 4), round(float(np.std(pred)), 4)]}
    report = {"panel": args.panel, "shape": list(real.shape), "repeats": args.repeats, "seeds": args.seeds,
              "protocol": PROTOCOL, "published": {k: {m: list(v) for m, v in d.items()} for k, d in PUBLISHED.items()},
              "results": rows, "machine": f"{platform.machine()}, {torch.get_num_threads()} threads",
              "torch": torch.__version__, "date": time.strftime("%Y-%m-%d %H:%M")}
    write(report, args.out)


def summary(fits: list[dict]) -> dict:
    """One generator's fits: mean ± std over every metric run of every fit, and each fit's figures."""
    disc = [d for f in fits for d in f["discriminative_runs"]]
    pred = [p for f in fits for p in f["predictive_runs"]]
    return {"discriminative": _mean_std(disc), "predictive": _mean_std(pred),
            "discriminative_seed_means": [f["discriminative"][0] for f in fits],
            "fit_seconds": [f["fit_seconds"] for f in fits],
            "sample_seconds": [f["sample_seconds"] for f in fits], "fits": fits}


def merge(paths: list[Path], out: Path) -> None:
    """Runs of one panel split by seed or generator (run side by side for wall time), as one run's JSON."""
    runs = [json.loads(p.read_text()) for p in paths]
    report, fits, rows = dict(runs[0]), {}, {}
    for run in runs:
        for name, row in run["results"].items():
            if "fits" in row:
                fits.setdefault(name, []).extend(row["fits"])
            else:
                rows.setdefault(name, row)
    report["results"] = {**{k: summary(sorted(v, key=lambda f: f["seed"])) for k, v in fits.items()}, **rows}
    report["seeds"] = sorted({f["seed"] for v in fits.values() for f in v})
    report["merged_from"] = [{"file": p.name, "date": r["date"]} for p, r in zip(paths, runs)]
    write(report, out)


def write(report: dict, out: Path) -> None:
    out.write_text(json.dumps(report, indent=1) + "\n")
    rows = report["results"]
    print("| generator | fit s | discriminative ↓ | predictive MAE ↓ |\n|---|---:|---|---|")
    if report["panel"] == "sines":
        for name, published in PUBLISHED.items():
            fmt = lambda m, sd: "—" if m is None else f"{m:.3f}" + ("" if sd is None else f" ± {sd:.3f}")  # noqa: E731
            print(f"| {name} (published) | — | {fmt(*published['discriminative'])} | {fmt(*published['predictive'])} |")
    for name, r in rows.items():
        fmt = lambda m, sd: "—" if m is None else f"{m:.3f} ± {sd:.3f}"  # noqa: E731
        d, p = r.get("discriminative", (None, None)), r["predictive"]
        print(f"| {name} | {r.get('fit_seconds', '—')} | {fmt(*d)} | {fmt(*p)} |")


if __name__ == "__main__":
    main()
