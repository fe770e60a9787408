"""Planted canaries (issue 21): does `generate finance` give away records planted 1x, 5x and 10x in training?

    .venv/bin/python benchmarks/canaries.py                        # credit_data, default epochs, 3000 rows
    .venv/bin/python benchmarks/canaries.py --dataset lending_club --epochs 60
    .venv/bin/python benchmarks/canaries.py --table                # the README tables from the results

What a user runs as `synthguard generate finance --data TABLE --canaries canaries.csv`: the table is split
80/20 (seed 0) as `generate` splits it, 12 canaries are planted in the training part only (4 each 1x, 5x and
10x; each canary one entity), the default finance generator is trained, sampled and gated, and the audit
checks every canary. Run twice: value protection on (the default) and off.

The canaries are rare profiles built from real values: each starts from a random training record (seeded)
and takes, in 3 random columns, that column's rarest real value — the least frequent category, or for a
number the training value at its 99.5th percentile. No real record equals a canary (checked).

Per canary: reproduced before the gate (an exact or near copy, at the gate's near-copy distance, among all
sampled records: delivered + rejected), rejected by the gate (every such copy was rejected), flagged by the
audit (on the delivered records); and the release decision. The run delivers whatever the decision (an
override recorded in the report) so every decision is measured. Writes benchmarks/results/canaries.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
COPIES = [1, 1, 1, 1, 5, 5, 5, 5, 10, 10, 10, 10]
RARE_COLUMNS = 3


def rare_values(train) -> dict[str, object]:
    """Each column's rarest real value: the least frequent category, or a number's 99.5th-percentile value."""
    from synthguard.data import ColumnKind

    out = {}
    for col in train.meta.columns:
        s = train.frame[col.name].dropna()
        if col.kind is ColumnKind.numeric and s.nunique() > 10:
            out[col.name] = s.sort_values().iloc[int(0.995 * (len(s) - 1))]  # a real value, not an interpolation
        elif col.kind in (ColumnKind.categorical, ColumnKind.boolean):
            counts = s.value_counts()
            out[col.name] = counts.index[-1]
    return out


def make_canaries(train, seed: int = 0) -> pd.DataFrame:
    """12 rare profiles from real values (see the module docstring), none equal to a real record."""
    import synthguard as sg

    rng = np.random.default_rng(seed)
    rare = rare_values(train)
    names = sorted(rare)
    real = set(train.record_hashes().tolist())
    rows = []
    while len(rows) < len(COPIES):
        row = train.frame.iloc[int(rng.integers(len(train)))].copy()
        for col in rng.choice(names, size=RARE_COLUMNS, replace=False):
            row[col] = rare[col]
        rows.append(row)
        frame = pd.DataFrame(rows)
        hashes = sg.Table(frame, train.meta).record_hashes()
        if hashes[-1] in real or hashes[-1] in set(hashes[:-1].tolist()):
            rows.pop()
    frame = pd.DataFrame(rows).reset_index(drop=True)
    frame["copies"] = COPIES
    return frame


def run(dataset: str, rows: int, epochs: int | None, value_protection: bool, seed: int) -> dict:
    import synthguard as sg
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from synthguard.privacy.canaries import near_copy_threshold, plant, read_canaries
    from synthguard.privacy.distance import NearestRecords

    engine = sg.Engine()
    table = engine.dataset(dataset).load()
    train, hold = holdout_split(table, HOLDOUT, seed=SPLIT_SEED)
    canaries = make_canaries(train, seed)
    start = time.perf_counter()
    result = engine.generate("finance", rows, dataset=dataset, seed=seed, epochs=epochs, device="cpu",
                             value_protection=value_protection, canaries=canaries,
                             options={"override_audit": "benchmark: every decision is recorded"})
    seconds = time.perf_counter() - start
    rep = result.report
    audit = rep["audit"]
    planted = read_canaries(canaries, table.meta)
    reference = plant(train, planted)
    threshold, d, _ = near_copy_threshold(reference, hold, engine.distance_for("table", "finance"))
    sampled = result.records if result.rejected is None else sg.Table.concat([result.records, result.rejected])
    planted = planted.restrict(sampled.meta)  # value protection may leave identifier columns unmodelled
    delivered_n = len(result.records)
    dist, idx = NearestRecords(d, sampled).kneighbors(planted.records, min(200, len(sampled)))
    c_hash, s_hash = planted.records.record_hashes(), sampled.record_hashes()
    per = []
    for i, row in enumerate(audit["canaries"]["per_canary"]):
        close = idx[i][dist[i] < threshold]
        exact = np.flatnonzero(s_hash == c_hash[i])
        copies = np.union1d(close, exact)
        per.append({"canary": i, "copies": int(planted.copies[i]),
                    "reproduced_before_gate": "exact copy" if len(exact) else "near copy" if len(close) else None,
                    "copies_sampled": int(len(copies)), "copies_delivered": int((copies < delivered_n).sum()),
                    "rejected_by_gate": bool(len(copies)) and not (copies < delivered_n).any(),
                    "nearest_sampled": round(float(dist[i][0]), 5),
                    "flagged_by_audit": row["flagged"], "audit": {k: row[k] for k in (
                        "reproduced", "exposed", "score_tail", "attack", "nearest_synthetic")}})
    mia = audit.get("membership_inference") or {}
    fig = audit["canaries"]["figure"]
    return {
        "dataset": dataset, "value_protection": value_protection, "rows": rows, "epochs": epochs or "default",
        "epochs_run": (rep["generator"]["fit"] or {}).get("epochs_run"), "seconds": round(seconds, 1),
        "training_records": rep["data"]["training_records"], "holdout_records": rep["data"]["holdout_records"],
        "near_copy_threshold": round(threshold, 6), "sampled": len(sampled),
        "rejected": {k: v["rejected"] for k, v in rep["privacy"].items()},
        "decision": rep["release"]["decision"], "decision_reason": rep["release"].get("reason"),
        "canary_figure": {k: fig[k] for k in ("value", "canaries", "target", "p_value", "verdict", "description")},
        "natural": audit["canaries"]["natural"],
        "worst_auc": mia.get("worst_auc"), "worst_auc_attack": mia.get("worst_auc_attack"),
        "quality": (rep["metrics"].get("core.quality") or {}).get("score"), "per_canary": per,
    }


def table(data: dict) -> str:
    """The README's Markdown tables from a results file: one summary row per run, then one row per canary."""
    runs = data["results"]
    lines = ["| value protection | epochs run | canaries reproduced before the gate | of them rejected by the gate | "
             "flagged by the audit (chance rate) | canary figure | worst AUC (attack) | quality | release decision |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        per = r["per_canary"]
        before = [c for c in per if c["reproduced_before_gate"]]
        lines.append(
            f"| {'on' if r['value_protection'] else 'off'} | {r['epochs_run']} | {len(before)} of {len(per)} | "
            f"{sum(c['rejected_by_gate'] for c in before)} | {sum(c['flagged_by_audit'] for c in per)} "
            f"({r['natural']['rate']:.1%}) | {r['canary_figure']['verdict']} (p = {r['canary_figure']['p_value']:.2g}) "
            f"| {r['worst_auc']} ({r['worst_auc_attack']}) | {r['quality']:.4f} | {r['decision']} |")
    lines += ["", "| canary | copies | " + " | ".join(
        f"VP {'on' if r['value_protection'] else 'off'}: before gate / rejected / audit flag (nearest sampled)"
        for r in runs) + " |", "|---|---|" + "---|" * len(runs)]
    for i, c in enumerate(runs[0]["per_canary"]):
        cells = []
        for r in runs:
            x = r["per_canary"][i]
            cells.append(f"{x['reproduced_before_gate'] or '—'} / {'yes' if x['rejected_by_gate'] else '—'} / "
                         f"{'**flagged**' if x['flagged_by_audit'] else '—'} ({x['nearest_sampled']})")
        lines.append(f"| {i} | {c['copies']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    if "--table" in os.sys.argv:  # --table [FILE]
        rest = os.sys.argv[os.sys.argv.index("--table") + 1:]
        print(table(json.loads(Path(rest[0] if rest else RESULTS / "canaries.json").read_text())))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="credit_data")
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=None, help="default: the generator's (early stopping)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--value-protection", choices=["both", "on", "off"], default="both")
    ap.add_argument("--out", default=str(RESULTS / "canaries.json"))
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    results = []
    for protection in {"both": (True, False), "on": (True,), "off": (False,)}[args.value_protection]:
        r = run(args.dataset, args.rows, args.epochs, protection, args.seed)
        results.append(r)
        summary = {k: r[k] for k in ("value_protection", "decision", "seconds", "epochs_run", "worst_auc")}
        print(json.dumps({**summary, "figure": r["canary_figure"]["description"]}), flush=True)
        for c in r["per_canary"]:
            print("   ", json.dumps({k: c[k] for k in ("canary", "copies", "reproduced_before_gate", "rejected_by_gate",
                                                        "flagged_by_audit", "nearest_sampled")}), flush=True)
        Path(args.out).parent.mkdir(exist_ok=True)
        Path(args.out).write_text(json.dumps({  # after each run: a partial result survives a stop
            "date": datetime.date.today().isoformat(),
            "command": "python benchmarks/canaries.py " + " ".join(
                f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v is not None and k != "out"),
            "canaries": {"copies": COPIES, "rare_columns": RARE_COLUMNS,
                         "how": "a random training record with 3 random columns set to that column's rarest real "
                                "value (least frequent category, or the 99.5th-percentile training value)"},
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "results": results}, indent=2))

if __name__ == "__main__":
    main()
