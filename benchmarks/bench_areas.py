"""Time a run of many areas (issue 17): ``--areas`` synthetic areas (default 43, about scale 45
in all, as England and Wales) run by ``vcc run`` on a local Dask cluster of 1 and of 2 worker
processes, against the same areas one after another in a single process (``run_quarter`` with
``area`` for each, under one Prefect server).

Reported per mode: wall time, the peak resident memory of each worker process and of the client
(the ``vcc`` process), sampled every half second from the process tree (psutil), the CPU time of
the whole tree (the Prefect server and the PDF helpers included) over the wall time, and the
machine's load average, since the machine is shared. The areas are generated once into
``--data`` (default ``benchmarks/results/areas-<N>``) and reused.

    .venv/bin/python benchmarks/bench_areas.py [--areas 43] [--scale 1.05] [--modes 1,2,serial]
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

import psutil

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.harness import RESULTS, save  # noqa: E402
from vcc.transforms.quarters import Quarter  # noqa: E402

VCC = Path(sys.executable).parent / "vcc"
SERIAL = """
import datetime as dt, os, sys
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")  # as the CLI
from pathlib import Path
from vcc.flows.config import load_config
from vcc.flows.run.flow import run_quarter
config = Path(sys.argv[1])
for name in load_config(config).areas:
    run_quarter(sys.argv[2], dt.date.fromisoformat(sys.argv[3]), config, Path(sys.argv[4]),
                area=name)
"""


def watch(process: subprocess.Popen) -> dict:
    """Wait for ``process``, sampling the resident memory of it and every descendant."""
    peaks: dict[int, float] = {}
    names: dict[int, str] = {}
    cpu: dict[int, float] = {}  # the CPU seconds each process had used when last seen
    root = psutil.Process(process.pid)
    started = time.perf_counter()
    while process.poll() is None:
        for member in [root, *root.children(recursive=True)]:
            try:
                rss = member.memory_info().rss / 2**20
                times = member.cpu_times()
                names.setdefault(member.pid, " ".join(member.cmdline()[:4]))
            except psutil.Error:
                continue
            peaks[member.pid] = max(peaks.get(member.pid, 0.0), rss)
            cpu[member.pid] = times.user + times.system
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    workers = [peaks[pid] for pid, name in names.items() if "multiprocessing" in name or
               "spawn_main" in name]  # fmt: skip
    return {
        "seconds": round(seconds, 1),
        "exit": process.returncode,
        "client_peak_mib": round(peaks.get(process.pid, 0.0)),
        "worker_peaks_mib": sorted(round(peak) for peak in workers),
        # all processes' CPU time over the wall time: how many cores the run kept busy (a
        # process's last half second before it ended is missed)
        "cpu_seconds": round(sum(cpu.values())),
        "cores_busy": round(sum(cpu.values()) / seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=43)
    parser.add_argument("--scale", type=float, default=1.05, help="the mean area's scale")
    parser.add_argument("--modes", default="1,2,serial")
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    data = args.data or RESULTS / f"areas-{args.areas}-{args.scale:g}"
    if not (data / "vcc.toml").exists():
        subprocess.run([str(VCC), "generate", "--areas", str(args.areas), "--scale",
                        str(args.scale), "--out", str(data)], check=True)  # fmt: skip
    today = dt.date.today()
    quarter = str(Quarter.last_complete(today))
    results = {"areas": args.areas, "mean_scale": args.scale, "quarter": quarter, "modes": {}}
    for mode in args.modes.split(","):
        out = Path(tempfile.mkdtemp(prefix=f"bench-areas-{mode}-"))
        if mode == "serial":
            command = [sys.executable, "-c", SERIAL, str(data / "vcc.toml"), quarter,
                       today.isoformat(), str(out)]  # fmt: skip
            config = data / "vcc.toml"
        else:
            config = data / f"vcc-{mode}-workers.toml"
            config.write_text((data / "vcc.toml").read_text() + f"\n[cluster]\nworkers = {mode}\n")
            command = [str(VCC), "run", "--quarter", quarter, "--config", str(config),
                       "--out", str(out), "--quiet"]  # fmt: skip
        load = os.getloadavg()[0]
        figures = watch(subprocess.Popen(command, cwd=out, stdout=subprocess.DEVNULL))
        results["modes"][mode] = {**figures, "load_before": round(load, 2)}
        print(json.dumps({mode: results["modes"][mode]}), flush=True)
    print(f"saved {save(results, f'bench-areas-{args.areas}')}")


if __name__ == "__main__":
    main()
