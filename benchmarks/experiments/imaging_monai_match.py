"""Why did the MONAI `imaging` model score worse than the hand-written U-Net it replaced? (run by hand, not a test)

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/experiments/imaging_monai_match.py \\
        --config monai-32 --epochs 200 --save /tmp/monai32 --steps 10 20 50 --out results.jsonl
    ... --load /tmp/monai32 --steps 10 25     # score a saved model again with other sampler settings
    ... --git 44f5a52 --steps 20 10           # the previous (hand-written) model's shipped bundle, read from git
    ... --time-steps                          # seconds per training step of each configuration and the previous U-Net

``--git`` and ``--time-steps`` need the previous hand-written U-Net (``synthguard_imaging/legacy.py``), removed
when the shipped bundles were retrained on MONAI: run them from a checkout of commit a5c5764, the last that has it.

Trains ``imaging`` on ``generate``'s patient split of brain_mri_slices (fit seed 0) with one of the named
configurations below (at equal budget: the same epochs, batch size and so optimizer steps), then samples
``--rows`` images (seed 1) with each sampler and number of DDIM steps and scores them with the benchmark's
measures (benchmarks/imaging_vs_dcgan.py ``Bench.score``: Fréchet distance and precision/recall in the
plugin's autoencoder feature space, C2ST, TSTR, gate rejections, Dar et al. 2024 copy rate).

Samplers: ``consistent`` is the plugin's (``model.Diffusion.sample``: MONAI's DDIMScheduler with trailing,
consistent timesteps, clipped clean-image estimate); ``monai-default`` is how the plugin called MONAI's
DDIMScheduler before 2026-12-03 (``set_timesteps`` with the default ``steps_offset=0``, the noise prediction
handed to ``step``, the last step's ``x_{t-1}`` returned), kept here to measure what that cost.
Each result is one JSON line appended to ``--out`` and printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CONFIGS = {
    # what the plugin shipped as its MONAI default on 2026-12-03 (a third of the previous U-Net's parameters)
    "monai-16": {"widths": (16, 32, 64), "attention": True},
    # the previous hand-written U-Net's channel widths on MONAI's DiffusionModelUNet
    "monai-32": {"widths": (32, 64, 128), "attention": True},
    "monai-32-noattn": {"widths": (32, 64, 128), "attention": False},
    # four levels: down to 4x4 like the previous U-Net (three halvings); the default since 2026-12-04
    "monai-32x4": {"widths": (32, 64, 128, 128), "attention": False},
}


def monai_default_sample(diffusion, y, channels, generator, steps=10, guidance=1.0, bfloat16=False):
    """The plugin's DDIM loop before 2026-12-03 (see the module docstring)."""
    import torch
    from monai.networks.schedulers import DDIMScheduler

    scheduler = DDIMScheduler(num_train_timesteps=diffusion.timesteps, schedule="cosine", clip_sample=not diffusion.latent)
    scheduler.set_timesteps(steps, device=y.device)
    x = torch.randn((len(y), *diffusion.latent_shape(channels)), generator=generator, device=generator.device).to(y.device)
    null = torch.full_like(y, diffusion.n_classes)
    with torch.no_grad():
        for t in scheduler.timesteps:
            tt = t.expand(len(y))
            with torch.autocast(y.device.type, dtype=torch.bfloat16, enabled=bfloat16):
                if guidance != 1.0:
                    cond, uncond = diffusion.net(torch.cat([x, x]), timesteps=torch.cat([tt, tt]),
                                                 class_labels=torch.cat([y, null])).float().chunk(2)
                    eps = uncond + guidance * (cond - uncond)
                else:
                    eps = diffusion.net(x, timesteps=tt, class_labels=y).float()
            x, _ = scheduler.step(eps, int(t), x)
        return diffusion.decode(x)


def time_steps() -> None:
    import statistics

    import torch
    from synthguard_imaging.legacy import LegacyDiffusion  # only at commit a5c5764 or before (module docstring)
    from synthguard_imaging.model import Diffusion

    x, y = torch.rand(32, 1, 32, 32) * 2 - 1, torch.arange(32) % 3
    models = {"previous U-Net 32/64/128": LegacyDiffusion(1, 3, (32, 64, 128), 32),
              **{name: Diffusion(1, 3, c["widths"], 32, attention=c.get("attention", True)) for name, c in CONFIGS.items()}}
    times: dict[str, list[float]] = {k: [] for k in models}
    opts = {k: torch.optim.AdamW(m.parameters()) for k, m in models.items()}
    for i in range(7):  # alternated, so load changes hit every model alike; the first 2 rounds are warm-up
        for name, model in models.items():
            start = time.perf_counter()
            loss = model.loss(x, y, torch.Generator().manual_seed(i))
            opts[name].zero_grad()
            loss.backward()
            opts[name].step()
            if i >= 2:
                times[name].append(time.perf_counter() - start)
    for name, model in models.items():
        print(json.dumps({"date": str(date.today()), "model": name, "parameters": sum(p.numel() for p in model.parameters()),
                          "seconds_per_step_median": round(statistics.median(times[name]), 3),
                          "load_average_1min": os.getloadavg()[0]}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--time-steps", action="store_true", help="only time one training step (batch 32, 32x32, "
                     "3 classes) of each configuration and of the previous U-Net, in one process, median of 5")
    src.add_argument("--config", choices=sorted(CONFIGS), help="train `imaging` with this configuration")
    src.add_argument("--load", help="a bundle saved by --save")
    src.add_argument("--git", metavar="COMMIT", help="the shipped brain bundle as committed at COMMIT")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="more config overrides (JSON values)")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--save", help="write the trained bundle here")
    ap.add_argument("--steps", type=int, nargs="+", default=[10])
    ap.add_argument("--samplers", nargs="+", default=["consistent"], choices=["consistent", "monai-default"])
    ap.add_argument("--guidance", type=float, default=None)
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--dataset", default="brain_mri_slices")
    ap.add_argument("--out", default=None, help="append JSON lines here")
    args = ap.parse_args()

    import torch
    from imaging_vs_dcgan import Bench, previous_bundle

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if args.time_steps:
        return time_steps()
    bench = Bench(args.dataset)
    label = args.config or args.load or f"imaging@{args.git}"
    if args.config:
        config = {**CONFIGS[args.config], **{k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}}
        start = time.perf_counter()
        model = bench.engine.fit("imaging", bench.train, seed=0, device="cpu", epochs=args.epochs, config=config)
        print(f"trained {args.config} {config} in {time.perf_counter() - start:.0f} s", flush=True)
        if args.save:
            model.save(args.save)
    elif args.load:
        model = bench.engine.load(args.load)
    else:
        import tempfile

        model = bench.engine.load(previous_bundle(args.git, args.dataset, Path(tempfile.mkdtemp())))
    info = model.fit_info_
    legacy = getattr(model, "legacy_", False)
    for sampler in args.samplers:
        if sampler == "monai-default" and legacy:
            continue
        for steps in args.steps:
            update = {"sampling_steps": steps, "sampling_precision": "float32",
                      **({"guidance": args.guidance} if args.guidance is not None else {})}
            model.config = model.config.model_copy(update=update)
            net = model.model_
            if sampler == "monai-default":
                net.sample = lambda *a, _net=net, **k: monai_default_sample(_net, *a, **k)
            start = time.perf_counter()
            syn = model.sample(args.rows, seed=1)
            seconds = time.perf_counter() - start
            if sampler == "monai-default":
                del net.sample
            row = {"date": str(date.today()), "dataset": args.dataset, "model": label, "config": model.config.model_dump(mode="json"),
                   "legacy": legacy, "sampler": "legacy DDIM" if legacy else sampler, "steps": steps,
                   "epochs": info.get("epochs_run"), "fit_seconds_per_epoch": info.get("seconds_per_epoch"),
                   "parameters": info.get("parameters"), "final_train_loss": info["history"]["train_loss"][-1],
                   "sample_seconds_per_image": round(seconds / args.rows, 4), **bench.score(syn)}
            row.pop("holdout_floor", None)
            print(json.dumps(row), flush=True)
            if args.out:
                with open(args.out, "a") as fh:
                    fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
