"""Experiment: what one training step of the sensor generator costs on this CPU, and where it goes.

    .venv/bin/python benchmarks/experiments/sensor_step_cost.py

Two tables, each a mean over 30 timed repetitions after 5 warm-ups (run it alone: two torch processes on
2 cores slow each other several-fold):

* trunk only — forward + backward of what could carry the dynamics, for a batch of 32 sequences × 100
  steps × 64 units (BasicMotions' shape): the default 2-layer LSTM, one LSTM layer, the dilated causal
  convolutions (``trunk=tcn``, 5 and 7 layers) and a 2-layer causal transformer (4 heads, pre-norm).
* whole step — the sensor model's loss, backward, gradient clipping and AdamW on BasicMotions recordings,
  by batch size, with and without dropout.
"""

from __future__ import annotations

import time

import synthguard as sg
import torch
from synthguard.models.optim import AdamW
from synthguard.models.sequence_encoding import SequenceEncoder
from synthguard.models.sequence_mixture import CausalConvStack, SequenceMixtureLSTM
from torch import nn

B, T, H = 32, 100, 64


def timed(step, repeats: int = 30, warmup: int = 5) -> float:
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats * 1000


def trunks() -> None:
    torch.manual_seed(0)
    x = torch.randn(B, T, H, requires_grad=True)
    causal = nn.Transformer.generate_square_subsequent_mask(T)
    layer = nn.TransformerEncoderLayer(H, 4, 2 * H, dropout=0.0, batch_first=True, norm_first=True)
    transformer = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    lstm2, lstm1 = nn.LSTM(H, H, 2, batch_first=True, dropout=0.1), nn.LSTM(H, H, 1, batch_first=True)
    tcn5, tcn7 = CausalConvStack(H, 5, 0.0), CausalConvStack(H, 7, 0.0)
    candidates = {
        "LSTM, 2 layers (default)": lambda: lstm2(x)[0],
        "LSTM, 1 layer": lambda: lstm1(x)[0],
        "causal convolutions, 5 layers": lambda: tcn5(x),
        "causal convolutions, 7 layers": lambda: tcn7(x),
        "causal transformer, 2 layers": lambda: transformer(x, mask=causal, is_causal=True),
    }
    print(f"| trunk ({B} × {T} steps × {H} units) | forward + backward ms |\n|---|---:|")
    for name, run in candidates.items():
        print(f"| {name} | {timed(lambda: run().sum().backward()):.1f} |", flush=True)


def steps() -> None:
    data = sg.datasets()["basic_motions"].load()
    enc = SequenceEncoder.fit(data)
    x = torch.from_numpy(enc.scale(data.values)).float()
    cats, nums = (torch.from_numpy(a) for a in enc.encode_statics(data.statics))
    print("\n| batch | dropout | whole training step ms |\n|---:|---:|---:|")
    for batch, dropout in [(16, 0.1), (32, 0.1), (58, 0.1), (32, 0.0), (58, 0.0)]:
        torch.manual_seed(0)
        model = SequenceMixtureLSTM(x.shape[2], [len(v) for v in enc.categorical.values()], len(enc.numeric),
                                    dropout=dropout)
        opt = AdamW(model.parameters(), lr=5e-3)
        rows = torch.arange(batch)

        def step():
            loss = model.loss(x[rows], cats[rows], nums[rows])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()

        print(f"| {batch} | {dropout} | {timed(step):.1f} |", flush=True)


if __name__ == "__main__":
    trunks()
    steps()
