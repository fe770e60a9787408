"""The sensor generators on TimeGAN's Sines benchmark, scored with TimeGAN's own protocol (run by hand, not a test).

    python benchmarks/sensor_sines_timegan.py                 # 10,000 sequences x 24 steps x 5 features
    python benchmarks/sensor_sines_timegan.py --rows 2000 --repeats 3 --generators sensor-conv-ar  # a quicker look

The issue names TimeGAN's published scores as an anchor. They were measured on datasets this
machine cannot fetch (Stocks: Yahoo; Energy: UCI) and on one it can rebuild exactly: Sines, a
*simulated* panel (no real person or device behind it) that Yoon et al. (NeurIPS 2019) define in
their code as, per sequence and feature, sin(f·t + φ) with f, φ ~ U(0, 0.1), t = 0..23, scaled to
[0, 1]. This script draws it, fits each sensor generator (its defaults) on all of it, samples as
many sequences, and scores them the way TimeGAN's ``metrics/`` do — re-implemented here in PyTorch
because that code is TensorFlow 1 (the plugin's own scores use bigger classifiers and a holdout, so
they are not comparable with the published table):

* discriminative: a one-layer GRU with dim/2 units (2 here) reads each sequence, a linear output
  on its last state says real or synthetic; 80% of each side trains it (2,000 Adam steps, lr 1e-3,
  128 real + 128 synthetic a batch), the other 20% tests it; score |accuracy − 0.5|.
* predictive: a one-layer GRU with dim/2 units trained on the synthetic sequences (5,000 steps,
  batch 128, MAE) predicts the last feature one step ahead from the other features; score the
  MAE on every real sequence.

Each metric is repeated ``--repeats`` times (TimeGAN: 10) and reported as mean ± std; "real vs
real" scores a second, independent draw of Sines in place of the synthetic data (what a perfect
generator would get). Writes benchmarks/results/sensor_sines_timegan.json.
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

RESULTS = Path(__file__).resolve().parent / "results" / "sensor_sines_timegan.json"
#: Yoon et al. 2019, Table 2 (Sines): mean ± std over 10 metric runs.
PUBLISHED = {"TimeGAN": {"discriminative": (0.011, 0.008), "predictive": (0.093, 0.019)}}


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
        r = real_train[torch.randint(len(real_train), (batch,), generator=gen)]
        s = syn_train[torch.randint(len(syn_train), (batch,), generator=gen)]
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
        x = s[torch.randint(len(s), (batch,), generator=gen)]
        pred = torch.sigmoid(model(x[:, :-1, :-1], every_step=True))
        loss = (pred - x[:, 1:, -1:]).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = torch.sigmoid(model(r[:, :-1, :-1], every_step=True))
    return float((pred - r[:, 1:, -1:]).abs().mean())


def scores(real: np.ndarray, other: np.ndarray, repeats: int) -> dict:
    disc = [discriminative(real, other, seed=i) for i in range(repeats)]
    pred = [predictive(other, real, seed=i) for i in range(repeats)]
    return {"discriminative": [round(float(np.mean(disc)), 4), round(float(np.std(disc)), 4)],
            "predictive": [round(float(np.mean(pred)), 4), round(float(np.std(pred)), 4)],
            "discriminative_runs": [round(d, 4) for d in disc], "predictive_runs": [round(p, 4) for p in pred]}


def main() -> None:
    import synthguard as sg

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000, help="sequences in the panel (TimeGAN: 10,000)")
    ap.add_argument("--repeats", type=int, default=10, help="runs of each metric (TimeGAN: 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--generators", nargs="+", default=["sensor", "sensor-conv-ar"])
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    real = sines(args.rows, seed=args.seed)
    records = sg.SequenceSet(real, [f"sine_{i}" for i in range(real.shape[2])])
    rows = {}
    for generator in args.generators:
        start = time.perf_counter()
        model = sg.fit(generator, records, seed=args.seed, progress=True)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        syn = model.sample(args.rows, seed=args.seed).values
        sample_s = time.perf_counter() - start
        rows[generator] = {"fit_seconds": round(fit_s, 1), "epochs_run": model.fit_info_["epochs_run"],
                           "sample_seconds": round(sample_s, 2), **scores(real, syn, args.repeats)}
        print(generator, rows[generator], flush=True)
    rows["real vs real (second draw)"] = scores(real, sines(args.rows, seed=args.seed + 1), args.repeats)
    report = {"rows": args.rows, "shape": list(real.shape), "repeats": args.repeats, "seed": args.seed,
              "published": {k: {m: list(v) for m, v in d.items()} for k, d in PUBLISHED.items()},
              "results": rows, "machine": f"{platform.machine()}, {torch.get_num_threads()} threads",
              "torch": torch.__version__, "date": time.strftime("%Y-%m-%d %H:%M")}
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print("| generator | fit s | discriminative ↓ | predictive MAE ↓ |\n|---|---:|---|---|")
    for name, published in PUBLISHED.items():
        (d, ds), (p, ps) = published["discriminative"], published["predictive"]
        print(f"| {name} (published) | — | {d:.3f} ± {ds:.3f} | {p:.3f} ± {ps:.3f} |")
    for name, r in rows.items():
        d, p = r["discriminative"], r["predictive"]
        print(f"| {name} | {r.get('fit_seconds', '—')} | {d[0]:.3f} ± {d[1]:.3f} | {p[0]:.3f} ± {p[1]:.3f} |")


if __name__ == "__main__":
    main()
