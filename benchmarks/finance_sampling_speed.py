"""Sampling speed of the default `finance` generator from its pretrained lending_club bundle (issue 23).

Loads the bundle the way `synthguard generate finance --dataset lending_club` does (the dataset's shipped bundle,
hash-checked by `Engine.load`; no training) and times `FinanceGenerator._sample(N, seed)` — 4096-row chunks, each
23 model passes (one per column, in a random order) then the decode to a frame — at one thread, for:

- `before`: the model's own `column_logits` (PyTorch's `nn.TransformerEncoderLayer` fast path on the whole
  4096-row chunk), i.e. sampling as it was before `ColumnSampler`;
- `blocks`: the same PyTorch layers, 256 rows of the chunk at a time (the cache effect alone);
- `sampler, one block`: `ColumnSampler` with the whole chunk as one block (first layer gathered from per-id
  tables, last layer at the sampled column only; no blocking);
- `sampler, no dedupe`: `ColumnSampler` in 256-row blocks, identical rows of the first steps not merged;
- `after`: `ColumnSampler` as shipped (what `model.sample` now uses on CPU, under `torch.no_grad`);
- `after + inference_mode`: the same inside `torch.inference_mode()` (not adopted: not measurably faster).

Variants run in turn, the order rotated each repeat (the machine's load drifts); ratios are `before`'s seconds over
the variant's within the same repeat. Every variant's frame is compared with `before`'s (`DataFrame.equals` and the
token arrays). A torch.profiler top-10 (self CPU time) of one 4096-row `_sample` before and after, the decode's
share, and rows/s of `model.sample` at other chunk sizes (after only: a chunk draws its own column order, so other
sizes sample other rows; informational, not adopted).

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python benchmarks/finance_sampling_speed.py   # results/finance_sampling_speed.json
    ... --rows 4096 --repeats 1 --variants before after --no-profile --chunks      # quick look
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import synthguard as sg  # noqa: E402
import torch  # noqa: E402
from synthguard.models import torch_generator  # noqa: E402
from synthguard_finance import model as finance_model  # noqa: E402
from synthguard_finance.model import ColumnSampler  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "finance_sampling_speed.json"


class _Blocks(ColumnSampler):
    """The model's own column_logits (PyTorch's fast path), 256 rows at a time."""

    def __init__(self, model, block: int = 256):
        self.model, self.block = model, block

    def column_logits(self, tokens, hidden, col):
        return torch.cat([self.model.column_logits(tokens[s:s + self.block], hidden[s:s + self.block], col)
                          for s in range(0, len(tokens), self.block)])


class _NoDedupe(ColumnSampler):
    def column_logits(self, tokens, hidden, col):
        model = self.model
        ids = torch.where(hidden, model.mask_ids[None, :], tokens + model.offsets[None, :])
        return torch.cat([self._block_logits(ids[s:s + self.block], col) for s in range(0, len(ids), self.block)])


def _with(factory):
    """Patch ColumnSampler.for_model to give ``factory(model)`` (None: the model's own column_logits)."""
    @contextlib.contextmanager
    def ctx():
        original = finance_model.ColumnSampler.for_model
        finance_model.ColumnSampler.for_model = classmethod(lambda cls, model, tokens: factory(model))
        try:
            yield
        finally:
            finance_model.ColumnSampler.for_model = original
    return ctx


VARIANTS = {
    "before": _with(lambda m: None),
    "blocks": _with(lambda m: _Blocks(m)),
    "sampler, one block": _with(lambda m: ColumnSampler(m, block=4096)),
    "sampler, no dedupe": _with(lambda m: _NoDedupe(m)),
    "after": contextlib.nullcontext,
    "after + inference_mode": torch.inference_mode,
}


def load_bundle():
    engine = sg.Engine()
    path = engine.dataset("lending_club").bundles()["finance"]
    return engine.load(path), path


def timed_sample(gen, n: int, seed: int) -> tuple[float, object, float]:
    """Seconds of ``_sample(n)``, the frame, and the seconds its decode took."""
    decode, spent = gen.encoder_.decode, []

    def timed_decode(*args, **kwargs):
        t = time.perf_counter()
        try:
            return decode(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t)

    gen.encoder_.decode = timed_decode
    try:
        start = time.perf_counter()
        frame = gen._sample(n, seed=seed, conditions={}).frame
        return time.perf_counter() - start, frame, sum(spent)
    finally:
        del gen.encoder_.decode


def profile(gen, n: int, seed: int, variant: str) -> dict:
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    with VARIANTS[variant](), torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        gen._sample(n, seed=seed, conditions={})
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    top = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:10]
    groups = {"linear layers (mm, addmm)": ("aten::mm", "aten::addmm", "aten::_addmm_activation"),
              "attention (bmm, qkv bias/rescale, MHA glue)": ("aten::bmm", "aten::_transform_bias_rescale_qkv",
                                                             "aten::_native_multi_head_attention"),
              "softmax": ("aten::_softmax",), "layer norm": ("aten::native_layer_norm",),
              "copies, gathers, fills": ("aten::copy_", "aten::index", "aten::index_select", "aten::fill_",
                                          "aten::zero_", "aten::clone"),
              "elementwise (add, mul, relu)": ("aten::add", "aten::add_", "aten::mul", "aten::mul_",
                                               "aten::clamp_min_", "aten::relu_", "aten::div")}
    by_name = {e.key: e for e in events}
    share = {g: round(sum(by_name[k].self_cpu_time_total for k in keys if k in by_name) / total, 3)
             for g, keys in groups.items()}
    multinomial = by_name.get("aten::multinomial")
    return {"rows": n, "variant": variant, "self_cpu_s": round(total / 1e6, 2),
            "top10_self": [{"op": e.key, "self_s": round(e.self_cpu_time_total / 1e6, 3),
                            "share": round(e.self_cpu_time_total / total, 3), "calls": e.count} for e in top],
            "share_by_group": share,
            "multinomial_share_incl_children": round(multinomial.cpu_time_total / total, 3) if multinomial else None}


def chunk_sizes(gen, sizes: list[int], seed: int) -> list[dict]:
    model, cols = gen.model_, len(gen.encoder_.codecs)
    out = []
    for m in sizes:
        tokens, hidden = torch.zeros(m, cols, dtype=torch.long), torch.ones(m, cols, dtype=torch.bool)
        start = time.perf_counter()
        model.sample(tokens, hidden, torch_generator(seed))
        s = time.perf_counter() - start
        out.append({"chunk_rows": m, "seconds": round(s, 2), "rows_per_s": round(m / s, 1)})
        print(f"  chunk {m}: {m / s:.0f} rows/s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--chunks", action="store_true", help="also time model.sample at 4096..32768-row chunks")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    torch.set_num_threads(1)

    gen, path = load_bundle()
    started = dt.datetime.now(dt.timezone.utc)
    load_start = os.getloadavg()
    print(f"bundle {path.name}: {len(gen.encoder_.codecs)} columns, vocab {sum(gen.model_.vocab_sizes)}; "
          f"{args.rows} rows x {args.repeats} repeats; load {load_start}", flush=True)
    gen._sample(256, seed=args.seed, conditions={})  # warm-up (lazy imports, allocator)

    runs, frames = [], {}
    names = list(args.variants)
    for rep in range(args.repeats):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for name in order:
            with VARIANTS[name]():
                seconds, frame, decode_s = timed_sample(gen, args.rows, args.seed)
            if name in frames:
                same = frames[name].equals(frame)
            else:
                frames[name], same = frame, True
            runs.append({"repeat": rep, "variant": name, "seconds": round(seconds, 2),
                         "rows_per_s": round(args.rows / seconds, 1), "decode_s": round(decode_s, 2),
                         "same_as_its_first_run": same, "loadavg_1m": os.getloadavg()[0]})
            print(f"  [{rep}] {name:24s} {seconds:7.1f} s  {args.rows / seconds:6.0f} rows/s  "
                  f"(decode {decode_s:.2f} s, load {os.getloadavg()[0]:.2f})", flush=True)

    reference = frames.get("before")
    identical = {name: (reference.equals(f) and list(reference.dtypes) == list(f.dtypes)) if reference is not None
                 else None for name, f in frames.items()}
    summary = {}
    for name in names:
        secs = [r["seconds"] for r in runs if r["variant"] == name]
        ratios = [b["seconds"] / r["seconds"] for r in runs if r["variant"] == name
                  for b in runs if b["variant"] == "before" and b["repeat"] == r["repeat"]]
        summary[name] = {"median_seconds": round(float(np.median(secs)), 2),
                         "median_rows_per_s": round(args.rows / float(np.median(secs)), 1),
                         "speedup_vs_before_per_repeat": [round(x, 2) for x in ratios],
                         "frame_identical_to_before": identical[name]}
        print(f"{name:24s} {summary[name]['median_rows_per_s']:7.0f} rows/s  x{ratios}  identical {identical[name]}")

    result = {
        "what": "FinanceGenerator._sample(rows) from the pretrained finance--lending_club bundle, one thread",
        "command": "OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python benchmarks/finance_sampling_speed.py "
                   + " ".join([f"--rows {args.rows}", f"--repeats {args.repeats}", f"--seed {args.seed}",
                               "--variants " + " ".join(repr(v) for v in args.variants)]
                              + (["--no-profile"] if args.no_profile else []) + (["--chunks"] if args.chunks else [])),
        "date": started.isoformat(timespec="seconds"),
        "loadavg_start": [round(x, 2) for x in load_start],
        "torch": torch.__version__, "threads": torch.get_num_threads(), "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "bundle": path.name, "bundle_sha256": getattr(gen, "bundle_sha256_", None), "rows": args.rows,
        "seed": args.seed, "chunk_rows": 4096, "block_rows": 256,
        "columns": len(gen.encoder_.codecs), "vocab": sum(gen.model_.vocab_sizes),
        "summary": summary, "runs": runs,
    }
    if not args.no_profile:
        result["profile"] = [profile(gen, 4096, args.seed, v) for v in ("before", "after")]
        for p in result["profile"]:
            print(p["variant"], p["share_by_group"], p["top10_self"][:4])
    if args.chunks:
        result["chunk_sizes_after"] = {
            "note": "model.sample on one chunk of this many rows (new path); each chunk draws its own column order, "
                    "so another chunk size samples other rows: not adopted",
            "runs": chunk_sizes(gen, [4096, 8192, 16384, 32768], args.seed)}
    result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
