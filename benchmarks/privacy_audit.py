"""The privacy audit of a domain's main job on each of its reference datasets (pretrained bundles, holdout 20%, seed 0).

    .venv/bin/python benchmarks/privacy_audit.py                       # finance
    .venv/bin/python benchmarks/privacy_audit.py --domain sensor
    .venv/bin/python benchmarks/privacy_audit.py --datasets german_credit --rows 2000
    .venv/bin/python benchmarks/privacy_audit.py --domain sensor --generator sensor-flow   # one of its other generators

Exactly what `synthguard generate DOMAIN --dataset D --rows N` reports, tabulated:
gate rejections, DCR share, worst membership-inference AUC / TPR at the readable FPR
with the attack that achieved it, the positive controls, the WP29 risks (tables) and
the release decision. Writes benchmarks/results/privacy_audit_DOMAIN.json (with --generator G:
privacy_audit_DOMAIN_G.json; G uses its pretrained bundle where the plugin ships one, else it is fitted on the
same 80% split, seed 0) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
# each domain's reference datasets, i.e. those its default generator ships a pretrained bundle for
DATASETS = {
    "finance": ["german_credit", "credit_data", "lending_club"],
    "sensor": ["basic_motions", "daphnet"],
    "traffic": ["bikeshare", "chicago"],  # nyc_flights is traffic-trips' (an alternative), not the default's
    "imaging": ["brain_mri_slices", "dicom_patches"],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--domain", default="finance", choices=sorted(DATASETS))
    ap.add_argument("--datasets", nargs="+", help="default: the domain's reference datasets")
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--generator", help="one of the domain's generators (default: the domain's default, `generate DOMAIN`)")
    args = ap.parse_args()
    args.datasets = args.datasets or DATASETS[args.domain]
    warnings.filterwarnings("ignore")
    import synthguard as sg

    engine = sg.Engine()
    rows = []
    for name in args.datasets:
        # measured, not gated: the benchmark records the decision a user would get, and delivers regardless
        rep = engine.generate(args.generator or args.domain, args.rows, dataset=name,
                              options={"override_audit": "benchmark: every decision is recorded",
                                       "metrics": False}).report  # the audit only: fidelity is other benchmarks'
        audit = rep["audit"]
        made = {"generator": rep["generator"]["name"], "bundle_sha256": rep["generator"]["bundle_sha256"],
                "pretrained": rep["lineage"].get("pretrained")}
        if "membership_inference" not in audit:  # too few held-out units: the decision says so, nothing to tabulate
            rows.append({"dataset": name, **made, "rows": args.rows, "unit": audit.get("unit"),
                         "training_records": rep["data"]["training_records"],
                         "holdout_records": rep["data"]["holdout_records"], "decision": audit["release"]["decision"],
                         "decision_reason": audit["release"].get("reason"), "exact_copies": audit["exact_copies"],
                         "audit_seconds": rep["timings"]["audit_seconds"]})
            print(json.dumps(rows[-1]), flush=True)
            continue
        mia = audit["membership_inference"]
        wp = audit.get("wp29")  # tables only
        rows.append({
            "dataset": name, **made, "rows": args.rows, "unit": mia.get("unit"), "training_records": rep["data"]["training_records"],
            "holdout_records": rep["data"]["holdout_records"],
            "rejected": {k: v["rejected"] for k, v in rep["privacy"].items()},
            "dcr_share": audit["dcr"]["share_closer_to_train"],
            "members_scored": mia["members"], "non_members_scored": mia["non_members"],
            "decision": audit["release"]["decision"], "decision_reason": audit["release"].get("reason"),
            "worst_auc": mia["worst_auc"], "worst_auc_attack": mia["worst_auc_attack"],
            "worst_auc_ci": mia["attacks"][mia["worst_auc_attack"]]["auc_ci"],
            "tpr_fpr": mia["fpr"], "worst_tpr": mia["worst_tpr"], "worst_tpr_attack": mia["worst_tpr_attack"],
            "worst_tpr_ci": mia["attacks"][mia["worst_tpr_attack"]]["tpr_ci"],
            "detectable_auc_excess": mia["detectable_auc_excess"], "above_chance": mia["above_chance"], "controls": mia["controls"], "valid": mia["valid"],
            "singling_out": wp["singling_out"]["risk"] if wp else None, "linkability": wp["linkability"]["risk"] if wp else None,
            "inference": wp["inference"]["risk"] if wp else None, "inference_worst_secret": wp["inference"]["worst_secret"] if wp else None,
            "audit_seconds": rep["timings"]["audit_seconds"], "checks_seconds": rep["timings"]["checks_seconds"],
        })
        print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    suffix = f"_{args.generator}" if args.generator else ""
    (RESULTS / f"privacy_audit_{args.domain}{suffix}.json").write_text(json.dumps(
        {"domain": args.domain, "generator": args.generator or engine.registry.generator(args.domain).name,
         "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "results": rows}, indent=2))
    print("\n| dataset | members scored | rejected by the gate | DCR share | worst AUC [95% CI] (attack) "
          "| worst TPR [95% CI] @ FPR | attacks with AUC CI above 0.5 | controls: copy / half-copy AUC | singling out / linkability / inference risk | release decision |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "members_scored" not in r:
            print(f"| {r['dataset']} | {r['holdout_records']} held out: too few | | | | | | | | {r['decision']} |")
            continue
        rej = r["rejected"]
        c = r["controls"]
        print(f"| {r['dataset']} | {r['members_scored']} / {r['non_members_scored']} | "
              f"{_rejected(rej)} | {r['dcr_share']} | {r['worst_auc']} {r['worst_auc_ci']} "
              f"({r['worst_auc_attack']}) | {r['worst_tpr']} {r['worst_tpr_ci']} @ {r['tpr_fpr']:.0%} | {', '.join(r['above_chance']) or 'none'} | "
              f"{c['exact-copy']['worst_auc']} / {c['half-copy']['worst_auc']} | "
              f"{r['singling_out']} / {r['linkability']} / {r['inference']} ({r['inference_worst_secret']}) | {r['decision']} |")


def _rejected(rejected: dict) -> str:
    return ", ".join(f"{name.split('.')[-1]} {n}" for name, n in rejected.items())


if __name__ == "__main__":
    main()
