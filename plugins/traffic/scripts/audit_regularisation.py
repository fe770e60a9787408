"""Issue 21: the traffic default's release audit and fidelity, shipped bundle vs a retrained config, 3 sampling seeds.

    .venv/bin/python plugins/traffic/scripts/audit_regularisation.py chicago shipped
    .venv/bin/python plugins/traffic/scripts/audit_regularisation.py chicago h32d3 '{"hidden": 32, "dropout": 0.3}'

Fits ``traffic`` (seed 0) on the training split ``generate`` makes (or loads the shipped bundle for ``shipped``),
samples 1,000 records at seeds 0, 1, 2 and prints, per seed, the audit's worst membership AUC (attack, 95%
interval), DCR share and release decision beside the plugin's own fidelity metrics (hour/weekday profile NMAE,
forecast TSTR/TRTR MAE ratio, correlation MAD); the last line (RESULT) holds them all as JSON.
"""
import sys, json, time, warnings
warnings.filterwarnings("ignore")
import numpy as np
import synthguard as sg
from synthguard import holdout_split
name, label = sys.argv[1], sys.argv[2]
config = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
e = sg.Engine()
ds = e.dataset(name)
train, hold = holdout_split(ds.load(), 0.2, 0)
t = time.time()
if config is None:
    model = e.load(ds.bundles()["traffic"]); fit_s = model.fit_info_.get("seconds")
else:
    model = e.fit_records("traffic", train, source={"source": f"dataset:{name}", "dataset": name}, seed=0, config=config)
    fit_s = round(time.time() - t, 1)
    pass
fi = model.fit_info_
h = fi.get("history", {})
b = fi.get("best_epoch")
out = {"dataset": name, "label": label, "config": config, "fit_s": fit_s, "epochs": fi.get("epochs_run"), "best": b,
       "train_val_gap": round(h["val_loss"][b - 1] - h["train_loss"][b - 1], 4) if b else None, "seeds": []}
for seed in (0, 1, 2):
    rep = e.sample(model, 1000, seed=seed, reference=train, holdout=hold, options={"override_audit": "experiment"}).report
    a = rep["audit"]; mia = a["membership_inference"]; m = rep["metrics"]
    out["seeds"].append({"seed": seed, "worst_auc": mia["worst_auc"], "attack": mia["worst_auc_attack"],
        "ci": mia["attacks"][mia["worst_auc_attack"]]["auc_ci"], "above": mia["above_chance"], "dcr_share": a["dcr"]["share_closer_to_train"],
        "decision": a["release"]["decision"], "profile_nmae": m["traffic.profiles"].get("profile_nmae"),
        "tstr_ratio": m["traffic.forecast_tstr"].get("ratio"), "corr_mad": m["traffic.spatial"].get("total_correlation_mad")})
    print(json.dumps(out["seeds"][-1]), flush=True)
print("RESULT " + json.dumps(out), flush=True)
