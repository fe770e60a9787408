"""Where the memory of a chunked `generate finance` run sits, and whether it grows with the number of chunks (issue 23).

Two measurements of the pretrained lending_club bundle's chunked path (`--rows N`, default 50,000-row chunks):

* ``dask``: ``synthguard generate finance --dataset lending_club --rows N --out D --scheduler local --dask-workers 2``
  in a child process; every 2 s the RSS, USS and PSS of it and of each of its child processes (the Dask workers),
  so the summed-RSS peak that ``benchmarks/scale_generate.py`` reports splits into driver and workers, and into
  memory of their own (USS) against shared library pages counted once per process (RSS).
* ``inprocess``: the same command without ``--scheduler`` (chunks one after another in this process, with ``--chunk-rows``),
  the process's RSS after each chunk, with ``MALLOC_TRIM_THRESHOLD_`` set as a Dask worker has it (so the
  allocator settings of ``synthguard.scale.allocator`` apply as on a worker).

    OMP_NUM_THREADS=1 python benchmarks/experiments/scale_rss_by_process.py dask --rows 200000
    OMP_NUM_THREADS=1 python benchmarks/experiments/scale_rss_by_process.py dask --rows 1000000
    OMP_NUM_THREADS=1 python benchmarks/experiments/scale_rss_by_process.py dask --rows 3000000 --chunk-rows 20000 --workers 1 --threads 2
    OMP_NUM_THREADS=1 python benchmarks/experiments/scale_rss_by_process.py inprocess --rows 300000
    OMP_NUM_THREADS=1 python benchmarks/experiments/scale_rss_by_process.py dask --rows 10000000 --poll-to poll.jsonl
    python benchmarks/experiments/scale_rss_by_process.py summarise --poll poll.jsonl --minutes 5 --key KEY

Results are merged into ``benchmarks/results/scale_rss_by_process.json`` under ``MODE-ROWS``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "scale_rss_by_process.json"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "SYNTHGUARD_LOAD_PLUGINS": "synthguard-finance"}


SETTINGS: list[str] = []  # --set KEY=VALUE passed through to the command


def command(rows: int, out: str) -> list[str]:
    extra = [a for kv in SETTINGS for a in ("--set", kv)]
    return ["generate", "finance", "--dataset", "lending_club", "--rows", str(rows), "--out", out, "--overwrite",
            *extra]


def dask(rows: int, workers: int, poll_to: Path | None = None, chunk_rows: int | None = None, threads: int = 1) -> dict:
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        exe = str(Path(sys.executable).with_name("synthguard"))
        args = [*command(rows, str(Path(tmp, "out"))), "--scheduler", "local", "--dask-workers", str(workers),
                *(["--chunk-rows", str(chunk_rows)] if chunk_rows else []),
                "--dask-threads", str(threads)]  # always: without it --dask-workers 1 would now take 2 threads
        start = time.perf_counter()
        proc = subprocess.Popen([exe, *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        parent, timeline, peaks = psutil.Process(proc.pid), [], {}
        log = poll_to.open("a") if poll_to else None
        while proc.poll() is None:
            snap = {}
            try:
                tree = [parent, *parent.children(recursive=True)]
            except psutil.Error:
                tree = []
            for p in tree:
                try:
                    m, ppid = p.memory_full_info(), p.ppid()
                    role = "driver" if p.pid == proc.pid else ("child-of-driver" if ppid == proc.pid else "grandchild")
                    key = f"{role}:{p.pid}"
                    snap[key] = (m.rss >> 20, m.uss >> 20, m.pss >> 20)
                    peak = peaks.setdefault(key, [0, 0, 0])
                    for i in range(3):
                        peak[i] = max(peak[i], snap[key][i])
                except psutil.Error:
                    pass
            totals = [sum(v[i] for v in snap.values()) for i in range(3)]
            timeline.append({"t": round(time.perf_counter() - start, 1), "total_rss": totals[0], "total_uss": totals[1],
                             "total_pss": totals[2], "procs": snap})
            if log:  # a run stopped before its end still leaves every snapshot it took
                log.write(json.dumps(timeline[-1]) + "\n")
                log.flush()
            time.sleep(2)
        if log:
            log.close()
        out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"synthguard {' '.join(args)} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"command": "synthguard " + " ".join(a if not a.startswith(tmp) else "OUT" for a in args),
            "wall_seconds": round(time.perf_counter() - start, 1), "stdout": out.strip().splitlines()[:1],
            "peak_per_process_rss_uss_pss_mib": peaks,
            "peak_total_rss_mib": max(x["total_rss"] for x in timeline),
            "peak_total_uss_mib": max(x["total_uss"] for x in timeline),
            "peak_total_pss_mib": max(x["total_pss"] for x in timeline), "timeline": timeline}


def inprocess(rows: int, chunk_rows: int) -> dict:
    """In a child interpreter (fresh allocator, the worker's environment variable): RSS after every chunk."""
    code = f"""
import json, sys, time, psutil
import synthguard.scale.runner as runner
from synthguard.cli import main
p, start, after = psutil.Process(), time.perf_counter(), []
run_chunk = runner.run_chunk
def measured(job, index):
    outcome = run_chunk(job, index)
    after.append({{"chunk": index, "t": round(time.perf_counter() - start), "rss_mib": p.memory_info().rss >> 20}})
    return outcome
runner.run_chunk = measured
main({command(rows, '@OUT@')!r} + ["--chunk-rows", "{chunk_rows}"], standalone_mode=False)
import resource
print(json.dumps({{"after_chunk": after, "rss_at_end_mib": p.memory_info().rss >> 20,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10}}))
"""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code.replace("@OUT@", str(Path(tmp, "out")))], capture_output=True,
                              text=True, env={**ENV, "MALLOC_TRIM_THRESHOLD_": "65536"})
    if proc.returncode:
        raise SystemExit(f"in-process run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"command": f"synthguard {' '.join(command(rows, 'OUT'))} --chunk-rows {chunk_rows} "
                       "(MALLOC_TRIM_THRESHOLD_=65536, as on a Dask worker)",
            "wall_seconds": round(time.perf_counter() - start, 1), **result}


def summarise(poll: Path, minutes: float) -> dict:
    """A run's ``--poll-to`` file (whole or stopped early) as each process's highest RSS per ``minutes`` window and the
    highest summed RSS / PSS / USS in it: where the memory sits, and whether it keeps growing, without the run's end.
    USS (memory no other process shares) is what grows with a leak; summed RSS also counts each shared library page
    once per process, and the kernel may reclaim those clean pages at any time."""
    polls = [json.loads(line) for line in poll.read_text().splitlines() if line.strip()]
    windows: dict[int, dict] = {}
    for p in polls:
        w = windows.setdefault(int(p["t"] // (minutes * 60)),
                               {"processes": {}, "total_rss": 0, "total_pss": 0, "total_uss": 0})
        for name, (rss, _uss, _pss) in p["procs"].items():
            w["processes"][name] = max(w["processes"].get(name, 0), rss)
        for key in ("total_rss", "total_pss", "total_uss"):
            w[key] = max(w[key], p[key])
    return {"poll_file": poll.name, "polls": len(polls), "seconds": polls[-1]["t"] if polls else 0,
            "window_minutes": minutes, "peak_total_rss_mib": max((p["total_rss"] for p in polls), default=0),
            "peak_total_pss_mib": max((p["total_pss"] for p in polls), default=0),
            "peak_total_uss_mib": max((p["total_uss"] for p in polls), default=0),
            "windows": [{"from_minute": k * minutes, **v} for k, v in sorted(windows.items())]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["dask", "inprocess", "summarise"])
    parser.add_argument("--rows", type=int, help="rows to generate (dask, inprocess)")
    parser.add_argument("--poll", type=Path, help="summarise: a --poll-to file")
    parser.add_argument("--minutes", type=float, default=5, help="summarise: window length")
    parser.add_argument("--key", help="summarise: the result key (default: the poll file's name)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="dask: threads per worker process (--dask-threads)")
    parser.add_argument("--chunk-rows", type=int, default=None, help="rows per chunk (default: the command's own, "
                        "50,000; inprocess: 50,000)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--key-suffix", action="append", default=[], help="appended to the result key (e.g. a date)")
    parser.add_argument("--poll-to", type=Path, help="dask: also append each 2-s snapshot to this JSON-lines file "
                        "as it is taken (readable when the run is stopped before its end)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a sampling setting passed to the command (e.g. order_rows=4096); part of the result key")
    args = parser.parse_args()
    SETTINGS.extend(args.set)
    if args.mode == "summarise":
        if args.poll is None:
            parser.error("summarise needs --poll FILE")
        result = summarise(args.poll, args.minutes)
        results = json.loads(args.out.read_text()) if args.out.exists() else {}
        results[args.key or args.poll.stem] = result
        args.out.write_text(json.dumps(results, indent=1) + "\n")
        for w in result["windows"]:
            print(w["from_minute"], w["total_rss"], w["total_pss"], w["total_uss"], w["processes"])
        return
    if args.rows is None:
        parser.error("dask and inprocess need --rows N")
    result = (dask(args.rows, args.workers, args.poll_to, args.chunk_rows, args.threads) if args.mode == "dask"
              else inprocess(args.rows, args.chunk_rows or 50_000))
    result["date"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes")
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    chunks = [f"chunk{args.chunk_rows}"] if args.chunk_rows else []
    layout = [f"workers{args.workers}x{args.threads}threads"] if args.threads != 1 else []
    results["-".join([args.mode, str(args.rows), *chunks, *layout, *args.set, *args.key_suffix])] = result
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "timeline"}, indent=1))


if __name__ == "__main__":
    main()
