"""What the per-scale benchmarks share: timing, the kernel's memory figures, and the parent that
runs one child process per scale and reads the JSON lines each child reports.

Each benchmark script runs itself again as ``--child SCALE`` so that every scale starts in a fresh
process (its memory high-water mark then belongs to that scale alone).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
Result = TypeVar("Result")


def timed(function: Callable[..., Result], *args: Any) -> tuple[float, Result]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def report(stage: str, **figures: Any) -> None:
    """One JSON line per stage on stdout, so the parent knows how far a child got if it dies."""
    print(json.dumps({"stage": stage, **figures}), flush=True)


# --- memory, from the kernel -------------------------------------------------------------------


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def current_rss_mib() -> float:
    return round((_status_kib("VmRSS") or 0) / 1024, 1)


def peak_rss_mib() -> float:
    """The process's resident high-water mark since start or the last reset."""
    kib = _status_kib("VmHWM")
    if kib is None:  # not Linux: ru_maxrss is KiB on Linux, bytes on macOS
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kib = kib // 1024 if sys.platform == "darwin" else kib
    return round(kib / 1024, 1)


def reset_peak_rss() -> bool:
    """Give freed memory back to the kernel and restart the high-water mark (Linux 4.0+).
    Both malloc and Arrow's allocator keep freed memory for reuse: after generating sources that
    is gigabytes the work being measured did not ask for."""
    import pyarrow

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    pyarrow.default_memory_pool().release_unused()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --- the parent: one child per scale -----------------------------------------------------------


def arguments(description: str, default_scales: list[float]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scales", type=float, nargs="+", default=default_scales)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    return parser.parse_args()


def run_child(script: str, scale: float, runs: int) -> dict:
    """Run ``script --child scale`` and return the figures of its last line, ``done``; or what
    it got as far as, if it failed."""
    command = [sys.executable, script, "--child", str(scale), "--runs", str(runs)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    last: dict = {}
    assert process.stdout is not None
    for line in process.stdout:
        last = json.loads(line)
        print(f"  scale {scale:g}: {line.strip()}", file=sys.stderr, flush=True)
    status = process.wait()
    if status != 0 or last.get("stage") != "done":
        elapsed = time.perf_counter() - started
        return {
            "scale": scale,
            "failed": f"child exited with status {status} after {elapsed:.0f} s",
            "got_as_far_as": last,
        }
    return {key: value for key, value in last.items() if key != "stage"}


def run_scales(script: str, args: argparse.Namespace, **facts: Any) -> dict:
    """Every scale in its own child, with the machine's load before and after."""
    load_before = os.getloadavg()
    results = [run_child(script, scale, args.runs) for scale in args.scales]
    return {
        **facts,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }


def save(summary: dict, name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return path


def failed_row(result: dict) -> str | None:
    if "failed" not in result:
        return None
    return f"| {result['scale']:g} | {result['failed']}: {json.dumps(result['got_as_far_as'])} |"
