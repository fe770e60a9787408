"""The imaging plugin's diffusion generator vs its DCGAN baseline on an imaging reference set (run by hand, not a test).

    OMP_NUM_THREADS=1 python benchmarks/imaging_vs_dcgan.py                     # reuse the shipped `imaging` bundle
    OMP_NUM_THREADS=1 python benchmarks/imaging_vs_dcgan.py --dataset dicom_patches   # the set no choice was tuned on
    python benchmarks/imaging_vs_dcgan.py --retrain --epochs 200 --device cuda  # train both here

Same holdout split as ``synthguard generate`` (20%, seed 0). The `imaging` model is the shipped
pretrained bundle when it was trained on exactly this split with the same epochs (its fit
facts, incl. seconds per epoch, come from its manifest), else it is trained here; the DCGAN
is trained here with the same epochs, batch size and working resolution. Each samples
``--rows`` images (unconditioned, class shares as in training, ``--seed``, 1 by default), scored against the
real training images with the in-house autoencoder features (Fréchet distance — not FID —
and k-NN precision/recall, with the real holdout's own numbers as the floor), a classifier
two-sample test, label TSTR (orientation, modality) on the holdout, and the memorization rate: the share of
samples the gate's holdout-calibrated near-copy filter (imaging.memorization distance), the SSIM
filter or the feature-copy filter rejects, and Dar et al. (2024)'s copy rate (nearest training image
in the autoencoder's feature space, cosine, above the holdout's 99th percentile: privacy.copy_rate).
``--previous COMMIT`` adds the shipped bundle as committed there (the previous model) on the same split. Writes benchmarks/results/imaging_vs_dcgan.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def previous_bundle(commit: str, dataset: str, into: Path) -> Path:
    """The shipped `imaging` bundle's files as committed at ``commit`` (no working-tree change). Bundles of the
    hand-written U-Net (state version 1, commits before 2026-12-04) load only at commit a5c5764 or before."""
    import subprocess

    out = into / f"previous-{dataset}"
    out.mkdir()
    for name in ("manifest.json", "state.json", "weights.safetensors"):
        path = f"plugins/imaging/synthguard_imaging/pretrained/imaging--{dataset}/{name}"
        blob = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=RESULTS.parents[1], capture_output=True,
                              check=True).stdout
        (out / name).write_bytes(blob)
    return out


def default_out(dataset: str) -> Path:
    return RESULTS / ("imaging_vs_dcgan.json" if dataset == "brain_mri_slices" else f"imaging_vs_dcgan_{dataset}.json")


class Bench:
    """``generate``'s split of a reference set (20%, seed 0, by patient), the gate's filters prepared on it, and
    :meth:`score`: the benchmark's measures of a set of synthetic images (shared with benchmarks/experiments)."""

    def __init__(self, dataset: str):
        import synthguard as sg
        from synthguard import CheckContext
        from synthguard.data import holdout_split
        from synthguard.privacy.filters import NearCopyFilter
        from synthguard_imaging.privacy import FeatureCopyFilter, MemorizationDistance, SSIMCopyFilter

        self.engine = sg.Engine()
        self.dataset = self.engine.dataset(dataset)
        self.train, self.hold = holdout_split(self.dataset.load(), 0.2, seed=0)
        self.ctx = CheckContext(meta=self.train.meta, reference_hashes=self.train.record_hashes(), reference=self.train,
                                holdout=self.hold, domain="imaging", options={}, distance=MemorizationDistance)
        self.gate = [NearCopyFilter(), SSIMCopyFilter(), FeatureCopyFilter()]
        for f in self.gate:
            f.prepare(self.ctx)

    def score(self, syn) -> dict:
        import numpy as np
        import synthguard as sg
        from synthguard_imaging.metrics import METRICS, ImageFidelityMetric
        from synthguard_imaging.privacy import copy_rate

        metric_ctx = sg.MetricContext(holdout=self.hold, target=self.dataset.target, domain="imaging")
        scores = {m.name: {k: v for k, v in m().compute(self.train, syn, metric_ctx).items() if k != "figures"}
                  for m in METRICS}
        rejected = np.zeros(len(syn), dtype=bool)
        by_filter = {}
        for f in self.gate:
            r = f.check(syn, self.ctx).rejected
            by_filter[f.name] = round(float(r.mean()), 4)
            rejected |= r
        fid = scores["imaging.fidelity"]
        delivered = {"images": int((~rejected).sum())}
        if delivered["images"] >= 10:  # what the gate lets through: what a user of `generate` receives
            kept = syn.take(np.flatnonzero(~rejected))
            d = ImageFidelityMetric().compute(self.train, kept, metric_ctx)
            delivered.update(frechet_ae_distance=d["frechet_ae_distance"], precision=d["precision"], recall=d["recall"],
                             copy_rate_dar2024=copy_rate(self.train, kept, self.hold))
        return {"frechet_ae_distance": fid["frechet_ae_distance"], "precision": fid["precision"], "recall": fid["recall"],
                "holdout_floor": fid.get("holdout_floor"),
                "c2st_accuracy": scores["imaging.c2st"]["accuracy"],
                "tstr_accuracy": scores["imaging.tstr"]["tstr"]["accuracy"],
                "trtr_accuracy": scores["imaging.tstr"]["trtr"]["accuracy"],
                "memorization_rate": round(float(rejected.mean()), 4), "memorization_by_filter": by_filter,
                "copy_rate_dar2024": copy_rate(self.train, syn, self.hold), "delivered": delivered}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="brain_mri_slices", help="an imaging reference dataset (its label is the TSTR target)")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--retrain", action="store_true", help="train `imaging` here even if the shipped bundle fits")
    ap.add_argument("--sampling-steps", type=int, default=None, help="DDIM steps for `imaging` (a sampling setting: "
                    "the bundle is reused)")
    ap.add_argument("--guidance", type=float, default=None, help="classifier-free guidance weight for `imaging` "
                    "(a sampling setting: the bundle is reused)")
    ap.add_argument("--sampling-precision", choices=["auto", "float32", "bfloat16"], default=None,
                    help="number format of `imaging`'s sampling passes (the bundle is reused)")
    ap.add_argument("--seed", type=int, default=1, help="sampling seed (the fit's seed stays 0)")
    ap.add_argument("--out", default=None, help="default: benchmarks/results/imaging_vs_dcgan[_DATASET].json")
    ap.add_argument("--generators", nargs="+", default=["imaging", "imaging-dcgan"],
                    help="measure only these; the others' entries in --out are kept")
    ap.add_argument("--previous", default=None, metavar="COMMIT",
                    help="also score the shipped `imaging` bundle as committed at COMMIT (the previous model), "
                         "entry 'imaging@COMMIT'; a bundle this checkout's generator can load (for "
                         "44f5a52's hand-written U-Net: run from a checkout of a5c5764)")
    args = ap.parse_args()
    args.out = args.out or str(default_out(args.dataset))

    import torch

    if not torch.cuda.is_available():
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    bench = Bench(args.dataset)
    engine, dataset, train, hold = bench.engine, bench.dataset, bench.train, bench.hold
    results = {"dataset": args.dataset, "training_images": len(train), "holdout_images": len(hold),
               "rows": args.rows, "epochs": args.epochs, "threads": torch.get_num_threads(),
               "machine": platform.processor() or platform.machine(), "torch": torch.__version__, "generators": {}}
    if set(args.generators) != {"imaging", "imaging-dcgan"} and Path(args.out).is_file():
        results["generators"] = json.loads(Path(args.out).read_text())["generators"]
    names = list(args.generators) + ([f"imaging@{args.previous}"] if args.previous else [])
    for name in names:
        bundle = dataset.bundles().get(name)
        model = None
        if "@" in name:  # the previous model's bundle, read from git
            import tempfile

            model = engine.load(previous_bundle(args.previous, args.dataset, Path(tempfile.mkdtemp())))
        elif bundle is not None and not args.retrain:
            model = engine.load(bundle)
            trained_on = model.fit_info_.get("source_fingerprint", model.fit_info_.get("data_fingerprint"))
            if trained_on != train.fingerprint() or model.config.epochs != args.epochs:
                model = None
        reused = model is not None
        if model is None and "@" not in name:
            model = engine.fit(name, train, seed=0, device=args.device, epochs=args.epochs)
        if name.startswith("imaging") and "dcgan" not in name:  # sampling settings: the trained network is the same
            update = {k: v for k, v in (("sampling_steps", args.sampling_steps), ("guidance", args.guidance),
                                        ("sampling_precision", args.sampling_precision)) if v is not None}
            model.config = model.config.model_copy(update=update)
        info = model.fit_info_
        t0 = time.perf_counter()
        syn = model.sample(args.rows, seed=args.seed)
        sample_s = time.perf_counter() - t0
        results["generators"][name] = {
            "pretrained_bundle_reused": reused, "sampling_steps": getattr(model.config, "sampling_steps", None),
            "guidance": getattr(model.config, "guidance", None),
            "sampling_precision": getattr(model.config, "sampling_precision", None), "device": info.get("device"), "epochs": info.get("epochs_run"),
            "fit_seconds": info.get("seconds"), "fit_seconds_per_epoch": info.get("seconds_per_epoch"),
            "parameters": info.get("parameters"), "working_resolution": info.get("working_resolution"),
            "final_train_loss": info["history"]["train_loss"][-1],
            "sample_seconds_per_image": round(sample_s / args.rows, 5), "sampling_seed": args.seed, **bench.score(syn)}
        print(name, json.dumps(results["generators"][name]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print("| generator | s/epoch | s/image | Fréchet (AE) | precision | recall | C2ST acc | TSTR acc | gate rejects | copy rate |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results["generators"].items():
        print(f"| {name} | {r['fit_seconds_per_epoch']} | {r['sample_seconds_per_image']} | {r['frechet_ae_distance']} "
              f"| {r['precision']} | {r['recall']} | {r['c2st_accuracy']} | {r['tstr_accuracy']} | {r['memorization_rate']} "
              f"| {r['copy_rate_dar2024']['copy_rate']} |")
    floor = results["generators"]["imaging"]["holdout_floor"]
    print(f"real holdout floor: Fréchet {floor['frechet_ae_distance']}, precision {floor['precision']}, recall {floor['recall']}")


if __name__ == "__main__":
    main()
