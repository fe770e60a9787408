"""Experiment: why the sensor generator scores badly on TimeGAN's Sines — how rough its curves are.

    .venv/bin/python benchmarks/experiments/sines_roughness.py --temperatures 1.0 0.7 0.4
    .venv/bin/python benchmarks/experiments/sines_roughness.py --set lr=0.001
    .venv/bin/python benchmarks/experiments/sines_roughness.py --set lr=0.001 --set batch_size=128

Fits ``sensor`` on the 10,000 Sines sequences of ``benchmarks/sensor_sines_timegan.py`` (seed 0) with the given
settings, then for each sampling temperature prints the mean |second difference| of the curves (real vs
synthetic: how smooth they are) and TimeGAN's discriminative score over two runs (the benchmark runs ten).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import synthguard as sg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import parse_settings  # noqa: E402
from sensor_sines_timegan import discriminative, sines  # noqa: E402


def roughness(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x, 2, axis=1)).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--temperatures", type=float, nargs="+", default=[1.0])
    args = ap.parse_args()
    real = sines(10_000)
    settings = parse_settings(args.set)
    start = time.perf_counter()
    model = sg.fit("sensor", sg.SequenceSet(real, [f"sine_{i}" for i in range(5)]), seed=0, config=settings or None)
    info = model.fit_info_
    print(f"{settings or 'defaults'}: fit {time.perf_counter() - start:.1f} s, {info['epochs_run']} epochs "
          f"(best {info['best_epoch']}), best val NLL {min(info['history']['val_loss']):.3f}; "
          f"real roughness {roughness(real):.4f}", flush=True)
    for temperature in args.temperatures:
        model.config = model.config.model_copy(update={"temperature": temperature})
        syn = model.sample(len(real), seed=0).values
        print(f"  temperature {temperature}: roughness {roughness(syn):.4f}, discriminative "
              f"{[round(discriminative(real, syn, seed=i), 4) for i in range(2)]}", flush=True)


if __name__ == "__main__":
    main()
