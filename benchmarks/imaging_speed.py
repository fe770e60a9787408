"""How fast the shipped `imaging` bundle delivers images, stage by stage (run by hand, not a test).

    OMP_NUM_THREADS=1 python benchmarks/imaging_speed.py [--dataset brain_mri_slices] [--repeats 3] [--baseline REV]

1. ``synthguard generate imaging --rows 50 --out TMP`` end to end, wall seconds of each of ``--repeats`` runs: the
   number issue 25 sets a target for (<= 5 s on 2 CPU cores), split into the stages its report.json times
   (sampling with the gate's redraw rounds, checks, metrics, audit) and what comes before them (Python start,
   imports, bundle load, split: wall minus the report's total, and the interpreter's exit). With ``--baseline REV``
   each run alternates with the same command from git revision REV's code (``git archive`` into a temporary folder,
   its ``core/`` and ``plugins/*/`` first on ``PYTHONPATH``, started the way REV's console script started it:
   ``synthguard.cli.run``), so before and after share the machine's load.
2. ``python -c "import synthguard; synthguard.Engine()"``: the floor every command pays before it starts.
3. In-process sampling only (``model.sample(rows)``, seed 1) of the shipped bundle, no gate.
The load average is recorded beside the times: on a shared machine absolute seconds drift with it.
Writes benchmarks/results/imaging_speed.json (the comparison with the previous hand-written model, made while it
still loaded, is in that file's history: commit c5c331f).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = "plugins/imaging/synthguard_imaging/pretrained/imaging--{}"


def _wall(cmd: list[str]) -> float:
    return _timed(cmd)[0]


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, the child's) of one command: CPU time drifts less than wall
    time with what else runs on the machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return round(wall, 2), round(cpu, 2)


def _run(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """One timed ``generate imaging`` (its ``--out`` folder last in ``cmd``) with the stages its report.json times."""
    wall, cpu = _timed(cmd, env)
    report = json.loads((Path(cmd[-1]) / "report.json").read_text())
    t = report["timings"]
    return {"wall_seconds": wall, "cpu_seconds": cpu, "before_stages_seconds": round(wall - t["total_seconds"], 2),
            **{k: round(t[k], 2) for k in ("sample_seconds", "checks_seconds", "metrics_seconds", "audit_seconds")},
            "sampling_rounds": report["sampling"].get("rounds"), "images_drawn": report["sampling"].get("sampled")}


def _checkout(revision: str, where: Path) -> dict[str, str]:
    """REV's files in ``where`` (``git archive``) and the environment that imports its code instead of this one's."""
    where.mkdir()
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    paths = [where / "core", *sorted(p for p in (where / "plugins").iterdir() if p.is_dir())]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="brain_mri_slices")
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline", metavar="REV", help="also time REV's code, alternated with this checkout's")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "imaging_speed.json")
    args = ap.parse_args()
    import synthguard as sg  # first: it sets OMP_WAIT_POLICY before torch loads OpenMP (synthguard/__init__.py)
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    exe = Path(sys.executable).with_name("synthguard")
    command = ["generate", "imaging", "--dataset", args.dataset, "--rows", str(args.rows), "--out"]
    runs, baseline_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        baseline_env = _checkout(args.baseline, Path(tmp) / "baseline") if args.baseline else None
        for i in range(args.repeats):
            runs.append(_run([str(exe), *command, str(Path(tmp) / f"out{i}")]))
            if baseline_env is not None:
                entry = "import sys; from synthguard.cli import run; sys.argv[0] = 'synthguard'; sys.exit(run())"
                baseline_runs.append(_run([sys.executable, "-c", entry, *command, str(Path(tmp) / f"base{i}")],
                                          env=baseline_env))
    imports = [_wall([sys.executable, "-c", "import synthguard; synthguard.Engine()"]) for _ in range(args.repeats)]
    model = sg.Engine().load(ROOT / BUNDLE.format(args.dataset))
    sampling = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        model.sample(args.rows, seed=1)
        sampling.append(round(time.perf_counter() - start, 3))
    result = {"date": str(date.today()), "dataset": args.dataset, "rows": args.rows,
              "command": f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')} python benchmarks/imaging_speed.py"
                         + (f" --baseline {args.baseline}" if args.baseline else ""),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
                          "load_average_1min_at_end": os.getloadavg()[0]},
              "bundle": {"widths": list(model.config.widths), "sampling_steps": model.config.sampling_steps,
                         "guidance": model.config.guidance,
                         "parameters": sum(p.numel() for p in model.model_.parameters())},
              "generate_cli": runs, "generate_cli_median": statistics.median(r["wall_seconds"] for r in runs),
              "generate_cli_cpu_median": statistics.median(r["cpu_seconds"] for r in runs),
              **({"baseline": {"revision": args.baseline, "generate_cli": baseline_runs,
                               "generate_cli_median": statistics.median(r["wall_seconds"] for r in baseline_runs),
                               "generate_cli_cpu_median": statistics.median(r["cpu_seconds"] for r in baseline_runs)}}
                 if args.baseline else {}),
              "import_engine_seconds": imports, "sampling_only_seconds": sampling,
              "sampling_only_median": statistics.median(sampling)}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
