"""Quality of the finance default beside SDV's GaussianCopula over many draws, not one (issue 21).

`benchmarks/peers_privacy.py` scores one 1,000-row output per model; a draw's quality moves by about ±0.01 on
german_credit's 800 training rows. Here, on `generate`'s split of each table: `generate finance --dataset D --rows
1000 --seed S` (the pretrained bundle, gated) for S = 0..N-1, and GaussianCopula fitted once as in peers_privacy.py
(SDV defaults, every column learnt, small counts ordinal) then sampled N times. Both quality figures for each draw:
`core.quality` (the real table's bins on both sides), SDMetrics 0.32's own per-table bins, and `core.tstr`'s TSTR / TRTR
on the holdout; the same for the
bundle's raw draws (no gate) and for each model's draws pooled (N × 1,000 rows scored as one table).
``--peers`` adds other peers of `peers_privacy.py` the same way (SDV's TVAE/CTGAN, TabularARGN in its own venv:
MOSTLY_PYTHON): each fitted once, N × 1,000 rows sampled in one call and cut into N draws.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/quality_seeds.py --datasets german_credit --draws 10
    OMP_NUM_THREADS=1 MOSTLY_PYTHON=/work/venv-mostly/bin/python .venv/bin/python \
        benchmarks/experiments/quality_seeds.py --draws 20 --peers sdv-tvae tabular-argn \
        --out benchmarks/results/quality_seeds_peers_german_credit.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results" / "quality_seeds.json"
PEERS = ["sdv-tvae", "sdv-ctgan", "tabular-argn", "tabular-argn-no-vp"]
KEYS = ("real_bins", "sdmetrics_own_bins", "tstr_ratio", "trts")  # per draw; TRTS: core.tstr's


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["german_credit"])
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=RESULTS)  # results for other --datasets: give another file
    ap.add_argument("--no-screen", action="store_true",
                    help="the default without drawing k-anonymity's quasi-identifiers first "
                    "(FinanceGenerator.supports_screening = False: sampling as before the screen)")
    ap.add_argument("--order-rows", type=int, help="rows per column order in the finance default's sampler (4096: one "
                    "order per chunk, as before 2026-12-05 afternoon; default: the generator's own)")
    ap.add_argument("--peers", nargs="*", default=[], choices=PEERS, help="more peers, each fitted once")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    import synthguard as sg
    from peers_privacy import fit_sdv, sdv_sample, split, synthesize, train_table
    from synthguard.contract import MetricContext
    from synthguard.quality.fidelity import quality_score
    from synthguard.quality.utility import TSTRMetric

    if args.no_screen:
        from synthguard_finance.generator import FinanceGenerator

        FinanceGenerator.supports_screening = False
    if args.order_rows:
        from synthguard_finance.generator import FinanceConfig

        FinanceConfig.model_fields["order_rows"].default = args.order_rows  # bundles saved without the field take it
        FinanceConfig.model_rebuild(force=True)
    engine = sg.Engine()
    results = {}
    for name in args.datasets:
        train, hold = split(name)
        real = train_table(name, train)

        holdout = sg.Table(hold[list(train.columns)].reset_index(drop=True), real.meta)
        context = MetricContext(holdout=holdout, target=engine.dataset(name).target)

        def both(frame) -> list[float]:
            """[quality with the real table's bins, with SDMetrics' own bins, TSTR / TRTR, TRTS]."""
            table = sg.Table(frame[list(train.columns)].reset_index(drop=True), real.meta)
            tstr = TSTRMetric().compute(real, table, context)
            return [quality_score(real, table)["score"], quality_score(real, table, aligned_bins=False)["score"],
                    tstr["ratio"], tstr["trts"]]

        ours, raw, theirs, frames = [], [], [], {"finance": [], "finance, ungated": [], "sdv-gaussian-copula": []}
        bundle = engine.load(engine.dataset(name).bundles()["finance"])
        for seed in range(args.draws):
            result = engine.generate("finance", args.rows, dataset=name, seed=seed, options={"audit": False})
            frames["finance"].append(result.data)
            ours.append(both(result.data))
            ungated = bundle.sample(args.rows, seed=seed).frame  # the bundle's raw draws, no gate
            frames["finance, ungated"].append(ungated)
            raw.append(both(ungated))
            print(f"{name} finance seed {seed}: {ours[-1]}, ungated {raw[-1]}", flush=True)
        gc, _ = fit_sdv("sdv-gaussian-copula", name, train)
        for draw in range(args.draws):
            out = sdv_sample(gc, args.rows)
            frames["sdv-gaussian-copula"].append(out)
            theirs.append(both(out))
            print(f"{name} gaussian copula draw {draw}: {theirs[-1]}", flush=True)
        scored = {"finance": ours, "finance, ungated": raw, "sdv-gaussian-copula": theirs}
        fit_seconds = {}
        for peer in args.peers:  # fitted once; its draws are consecutive 1,000-row slices of one sample
            with tempfile.TemporaryDirectory() as tmp:
                out, fit_seconds[peer], _ = synthesize(peer, name, train, args.draws * args.rows, Path(tmp))
            frames[peer] = [out.iloc[i * args.rows:(i + 1) * args.rows] for i in range(args.draws)]
            scored[peer] = [both(f) for f in frames[peer]]
            print(f"{name} {peer} (fit {fit_seconds[peer]:.0f} s): {scored[peer]}", flush=True)

        def summary(values: list[list[float]]) -> dict:
            a = np.asarray(values)
            return {k: {"mean": round(float(a[:, i].mean()), 4), "sd": round(float(a[:, i].std(ddof=1)), 4),
                        "min": round(float(a[:, i].min()), 4), "max": round(float(a[:, i].max()), 4)}
                    for i, k in enumerate(KEYS)}

        import pandas as pd

        results[name] = {m: {"draws": v, **summary(v), "pooled": dict(zip(KEYS, both(pd.concat(frames[m])))),
                             **({"fit_seconds": round(fit_seconds[m], 1)} if m in fit_seconds else {})}
                         for m, v in scored.items()}
        print(json.dumps({m: {k: v for k, v in r.items() if k != "draws"} for m, r in results[name].items()}))
    out = {"what": __doc__.split("\n\n")[0], "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
           "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/quality_seeds.py --datasets "
                      + " ".join(args.datasets) + f" --draws {args.draws}" + (" --no-screen" if args.no_screen else "")
                      + (f" --order-rows {args.order_rows}" if args.order_rows else "")
                      + (" --peers " + " ".join(args.peers) if args.peers else ""),
           "loadavg": [round(x, 2) for x in os.getloadavg()], "rows": args.rows, "screen": not args.no_screen,
           "order_rows": args.order_rows or "the generator's default",
           "results": results}
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
