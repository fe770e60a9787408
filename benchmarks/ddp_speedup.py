"""Data-parallel training (issue 23): fit time per epoch with 1 process vs 2 workers (torch.distributed, gloo).

For the default generators of finance (``finance`` on credit_data) and sensor (``sensor`` on basic_motions),
each with its default config, fits three ways on the same machine, one after another:

- ``1 process, 1 thread``  the baseline every worker count is compared with;
- ``1 process, 2 threads`` what one process makes of the same 2 cores without torch.distributed;
- ``2 workers x 1 thread`` ``workers=2`` (``--workers 2``): two spawned processes, gloo, DDP.

Per-epoch time is the slope between a short and a long fit (``(T(long) - T(short)) / (long - short)``), so
what every fit pays once (spawning the workers, importing torch there, DDP's set-up, encoding the table) is
left out of it and reported apart as ``fixed_s`` (``T(short) - short x per_epoch``). Early stopping cannot end
these fits sooner (both lengths are below the generators' patience; checked: ``epochs_run`` is recorded).

    OMP_NUM_THREADS=1 python benchmarks/ddp_speedup.py        # results/ddp_speedup.json
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per process unless a run asks for more
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

import synthguard as sg  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "ddp_speedup.json"
CASES = {  # generator: (dataset, short epochs, long epochs, config); long spans: the spawn's time varies by seconds
    "finance": ("credit_data", 2, 10, {}),
    "sensor": ("basic_motions", 5, 45, {"patience": 1000}),  # its patience (30) could end 45 epochs early
}
WAYS = {"1 process, 1 thread": (1, 1), "1 process, 2 threads": (1, 2), "2 workers x 1 thread": (2, 1)}


def timed_fit(generator: str, data, epochs: int, workers: int, threads: int, seed: int,
              extra: dict | None = None) -> tuple[float, int]:
    torch.set_num_threads(threads)
    config = {"epochs": epochs, **(extra or {}), **({"workers": workers} if workers > 1 else {})}
    start = time.perf_counter()
    model = sg.fit(generator, data=data, config=config, seed=seed, device="cpu")
    return time.perf_counter() - start, model.fit_info_["epochs_run"]


def run_case(generator: str, repeats: int, seed: int, ways: list[str]) -> dict:
    dataset, short, long, extra = CASES[generator]
    data = sg.Engine().dataset(dataset).load()
    rows = {}
    for way in ways:
        workers, threads = WAYS[way]
        per_epoch, fixed, runs = [], [], []
        for _ in range(repeats):
            t_short, e_short = timed_fit(generator, data, short, workers, threads, seed, extra)
            t_long, e_long = timed_fit(generator, data, long, workers, threads, seed, extra)
            if (e_short, e_long) != (short, long):
                raise RuntimeError(f"{generator}: early stopping ran {e_short}/{e_long} epochs, not {short}/{long}")
            slope = (t_long - t_short) / (long - short)
            per_epoch.append(slope)
            fixed.append(t_short - short * slope)
            runs.append({"short_s": round(t_short, 3), "long_s": round(t_long, 3)})
            print(f"{generator} {way}: {short} epochs {t_short:.1f}s, {long} epochs {t_long:.1f}s "
                  f"-> {slope:.3f} s/epoch", flush=True)
        best = sorted(range(repeats), key=lambda i: per_epoch[i])[repeats // 2]  # the median repeat
        rows[way] = {"workers": workers, "threads_per_process": threads, "per_epoch_s": round(per_epoch[best], 4),
                     "fixed_s": round(fixed[best], 2), "runs": runs}
    base = rows["1 process, 1 thread"]["per_epoch_s"]
    for row in rows.values():
        row["speedup_per_epoch"] = round(base / row["per_epoch_s"], 3)
    return {"dataset": dataset, "records": len(data), "epochs": [short, long], "config": extra, "ways": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--repeats", type=int, default=1, help="fits per way; the median per-epoch time is kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ways", nargs="+", default=list(WAYS), choices=list(WAYS),
                        help="which ways to fit (1 process x 2 threads is ten times slower on a loaded machine)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_before = os.getloadavg()
    results = {g: run_case(g, args.repeats, args.seed, ["1 process, 1 thread"] + [w for w in args.ways if w != "1 process, 1 thread"])
               for g in args.generators}
    report = {
        "date": dt.date.today().isoformat(),
        "command": "OMP_NUM_THREADS=1 python benchmarks/ddp_speedup.py"
                   + (f" --repeats {args.repeats}" if args.repeats != 1 else "")
                   + (f" --ways {' '.join(repr(w) for w in args.ways)}" if args.ways != list(WAYS) else ""),
        "machine": {"cpus": len(os.sched_getaffinity(0)), "platform": platform.platform(),
                    "torch": torch.__version__, "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "per_epoch": "slope between the short and the long fit; fixed_s = what a fit pays once (spawn, imports, "
                     "DDP set-up, encoding)",
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({g: {w: (r["per_epoch_s"], r["speedup_per_epoch"]) for w, r in v["ways"].items()}
                      for g, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
