"""Time ``vcc run`` end to end at scale 1, and each stage inside it.

Each run is a fresh process, as a user's would be, so Prefect's start-up is included. The
baseline is a no-op Prefect flow in a fresh process, timed the same way and alternately with the
runs: the ratio says what the pipeline costs on top of Prefect's own start-up. Both start with no
Prefect server configured, so each starts a temporary one (vcc its own, ``flows/run/server.py``).
Then ``--runs`` more runs with a Prefect server already running (``prefect server start``, as
``vcc serve`` keeps one), found through ``PREFECT_API_URL``. Medians of ``--runs`` runs, written
to ``benchmarks/results/run.json``.

    .venv/bin/python benchmarks/bench_run.py [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VCC = [sys.executable, "-m", "vcc.flows.cli"]
BASELINE = "from prefect import flow\nflow(name='noop')(lambda: 1)()\n"


def _environment(**more: str) -> dict[str, str]:
    """No Prefect server configured (unless ``more`` says one), analytics off."""
    environment = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return environment | {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", **more}


def timed(command: list[str], **environment: str) -> float:
    started = time.perf_counter()
    env = _environment(**environment)
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """A Prefect server running (``prefect server start`` on a free port, its own database)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, env=_environment(PREFECT_HOME=str(home)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("the Prefect server did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    if not (REPO / "demo-data" / "police.sqlite").exists():
        subprocess.run([*VCC, "generate"], cwd=REPO, check=True)
    from vcc.transforms.quarters import Quarter

    quarter = str(Quarter.last_complete(dt.date.today()))
    baseline, totals, served, stages = [], [], [], []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "out")
        vcc_run = [*VCC, "run", "--quarter", quarter, "--config",
               str(REPO / "config" / "default.toml"), "--out", out]  # fmt: skip
        home = str(Path(folder) / "prefect-home")  # the benchmark's own Prefect database
        for number in range(1, args.runs + 1):
            baseline.append(timed([sys.executable, "-c", BASELINE], PREFECT_HOME=home))
            totals.append(timed(vcc_run, PREFECT_HOME=home))
            manifest = json.loads((Path(out) / quarter / "manifest.json").read_text())
            stages.append(manifest["timings_seconds"])
            print(f"run {number}: {totals[-1]:.1f} s (baseline {baseline[-1]:.1f} s)", flush=True)
        with prefect_server(Path(folder) / "server-home") as url:
            for number in range(1, args.runs + 1):
                served.append(timed(vcc_run, PREFECT_API_URL=url, PREFECT_HOME=home))
                print(f"run {number} with a server running: {served[-1]:.1f} s", flush=True)

    median_total, median_base = statistics.median(totals), statistics.median(baseline)
    result = {
        "quarter": quarter,
        "runs": args.runs,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "vcc_run_seconds": [round(x, 2) for x in totals],
        "prefect_noop_flow_seconds": [round(x, 2) for x in baseline],
        "vcc_run_with_server_seconds": [round(x, 2) for x in served],
        "vcc_run_seconds_median": round(median_total, 2),
        "prefect_noop_flow_seconds_median": round(median_base, 2),
        "ratio_to_baseline": round(median_total / median_base, 2),
        "vcc_run_with_server_seconds_median": round(statistics.median(served), 2),
        "stage_seconds_median": {
            stage: round(statistics.median(run[stage] for run in stages), 1) for stage in stages[0]
        },
    }
    print(json.dumps(result, indent=2))
    results = REPO / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "run.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
