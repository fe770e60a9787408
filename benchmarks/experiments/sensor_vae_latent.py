"""Experiment: how much does ``sensor-vae``'s latent carry, and would sampling it differently help?

    .venv/bin/python benchmarks/experiments/sensor_vae_latent.py --dataset daphnet --config "" --config "free_bits=1"

Fits ``sensor-vae`` on ``generate``'s 80% training split once per (``--config``, seed) and encodes the training
recordings. Prints the KL divergence of their posteriors from the prior per recording (nats; what the latent
tells the decoder about a recording) and how many of the latent's dimensions carry more than 0.05 nats on
average ("active"; a VAE whose autoregressive decoder ignores its latent has none: posterior collapse).
Then the discriminative score (TimeGAN's post-hoc classifier over ``--splits`` random splits) of as many sampled
recordings as training ones, twice: latents drawn from the prior (what ``sample`` does) and latents drawn from
the training recordings' own posteriors (a diagnostic only: those are encodings of real recordings). If the
second scores much better, the prior is the weak part; if neither does, the decoder is.
"""

from __future__ import annotations

import warnings

import numpy as np
import synthguard as sg
import torch
from synthguard.models.seeding import torch_generator
from synthguard_sensor.metrics import discriminative_score

from sensor_configs import experiment_parser, training_split, variants  # same folder

ACTIVE_NATS = 0.05


def main() -> None:
    args = experiment_parser(__doc__).parse_args()
    warnings.filterwarnings("ignore")
    train, _ = training_split(args.dataset)
    print(f"{args.dataset}, sensor-vae: {len(train)} training recordings")
    print("| config | seed | epochs | KL nats a recording | active dims | discriminative, prior | from posteriors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, settings in variants(args.config):
        for seed in args.seeds:
            model = sg.fit("sensor-vae", train, seed=seed, config=settings)
            net, enc = model.model_, model.encoder_
            x = torch.from_numpy(enc.scale(train.values))
            cats, nums = (torch.from_numpy(a) for a in enc.encode_statics(train.statics))
            mask = torch.isfinite(x)
            with torch.no_grad():
                cond = net.condition(cats, nums)
                mean, log_var = net.encode(torch.where(mask, x, torch.zeros_like(x)), mask.float(), cond)
            kl_dims = (0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var)).mean(0)
            prior = model.sample(len(train), seed=seed).values
            gen = torch_generator(seed)
            posterior_z = mean + (0.5 * log_var).exp() * torch.randn(mean.shape, generator=gen)
            drawn = net.sample(cats, nums, train.values.shape[1], gen, latent=posterior_z)
            posterior = enc.unscale(drawn.numpy())
            scores = [discriminative_score(train.values, np.where(np.isfinite(v), v, np.nan), seed=0,
                                           repeats=args.splits)["score"] for v in (prior, posterior)]
            print(f"| {label} | {seed} | {model.fit_info_['epochs_run']} | "
                  f"{float(kl_dims.sum()):.2f} | {int((kl_dims > ACTIVE_NATS).sum())} of {len(kl_dims)} | "
                  f"{scores[0]} | {scores[1]} |", flush=True)


if __name__ == "__main__":
    main()
