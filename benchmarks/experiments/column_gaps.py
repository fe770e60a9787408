"""Where, column by column and pair by pair, does TabularARGN's quality lead the finance default's raw draws? (issue 21)

On a table both learn from `generate`'s 80% split: TabularARGN with its defaults (``peers_tabular_argn.py``, in
MOSTLY_PYTHON's environment) and `generate finance --data T --target Y` (the default, its model saved), each sampled
3,000 times without a gate; SDMetrics' column shapes and pair trends (the real table's bins, as ``core.quality``) of
three draws of 1,000, averaged; the columns furthest apart; and the shares the training rows, the holdout and each
model give the values of those columns.

    MOSTLY_PYTHON=/work/venv-mostly/bin/python OMP_NUM_THREADS=1 .venv/bin/python \\
        benchmarks/experiments/column_gaps.py --table AER/NMES1988 [--set ema=0.999]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", default="AER/NMES1988")
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--columns", type=int, default=4, help="how many of the furthest columns to show the shares of")
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    import peers_privacy as pp
    import synthguard as sg
    from synthguard.quality import fidelity as F

    train_f, hold_f = pp.split(args.table)
    tmp = Path(tempfile.mkdtemp(prefix="column_gaps_"))
    train_f.to_parquet(tmp / "train.parquet")
    proc = subprocess.run([pp.MOSTLY_PYTHON, str(HERE.parent / "peers_tabular_argn.py"), str(tmp / "train.parquet"),
                           str(tmp / "argn.parquet"), "3000", "on"], capture_output=True, text=True, check=True)
    print("TabularARGN:", proc.stdout.strip().splitlines()[-1], flush=True)
    argn = pd.read_parquet(tmp / "argn.parquet")
    name, frame = pp.unseen_tables().load_table(args.table)
    frame.to_csv(tmp / f"{name}.csv", index=False)
    config = {k: float(v) for k, v in (s.split("=", 1) for s in args.settings)} or None
    res = sg.generate("finance", data=str(tmp / f"{name}.csv"), target=pp.target_of(args.table), rows=1000, seed=0,
                      config=config, save_model=str(tmp / "model"), options={"override_audit": "experiment"})
    train = res.context.reference
    ours = sg.load(tmp / "model").sample(3000, seed=0).frame

    def details(f: pd.DataFrame):
        syn, _ = F._as_kinds(sg.Table(f[list(train.frame.columns)].reset_index(drop=True), train.meta))
        report = F._quality_report(F.pair_sample(train.meta.names, F.MAX_PAIRS), True)
        report.generate(train.frame, syn, F.sdv_metadata(train.meta), verbose=False)
        shapes = report.get_details("Column Shapes").set_index("Column")["Score"]
        pairs = report.get_details("Column Pair Trends").set_index(["Column 1", "Column 2"])["Score"]
        return shapes, pairs

    scores = {who: [details(f.iloc[i * 1000:(i + 1) * 1000]) for i in range(3)] for who, f in
              (("finance", ours), ("argn", argn))}
    shape = pd.DataFrame({w: pd.concat([s[0] for s in v], axis=1).mean(1) for w, v in scores.items()})
    pair = pd.DataFrame({w: pd.concat([s[1] for s in v], axis=1).mean(1) for w, v in scores.items()}).dropna()
    shape["gap"], pair["gap"] = shape.argn - shape.finance, pair.argn - pair.finance
    print(f"column shapes: finance {shape.finance.mean():.4f}, TabularARGN {shape.argn.mean():.4f}; pair trends: "
          f"finance {pair.finance.mean():.4f}, TabularARGN {pair.argn.mean():.4f} ({len(pair)} pairs scored)")
    print(shape.sort_values("gap", ascending=False).round(4).to_string())
    print(pair.sort_values("gap", ascending=False).head(8).round(4).to_string())
    for column in shape.sort_values("gap", ascending=False).index[:args.columns]:
        share = {who: f[column].astype(str).value_counts(normalize=True) for who, f in
                 (("training", train_f), ("holdout", hold_f), ("finance", ours), ("TabularARGN", argn))}
        print(column, pd.DataFrame(share).fillna(0).round(3).head(4).to_dict())


if __name__ == "__main__":
    main()
