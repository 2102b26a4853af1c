"""Which Prefect server a run uses, and that none of vcc's processes outlives it (issues 18, 14).

With a Prefect server configured (``PREFECT_API_URL``), ``vcc run`` reports to it: the run is in
that server's API with its name and parameters, and vcc starts no temporary server. Without one,
vcc starts a temporary server of its own, which ends with vcc however vcc ends: a SIGTERM, or
even a SIGKILL that leaves vcc no chance to clean up. Each test runs ``vcc`` as an analyst does,
in a fresh process, with its own ``PREFECT_HOME``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FLOW_AS_OF, FLOW_QUARTER

pytestmark = pytest.mark.flow


def _environment(prefect_home: Path, **more: str) -> dict[str, str]:
    """A user's environment: no test-session Prefect settings, a Prefect home of its own."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PREFECT_") or key == "PREFECT_LOGGING_LEVEL"
    }
    return environment | {"PREFECT_HOME": str(prefect_home), "PYTHONUNBUFFERED": "1", **more}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(url: str, path: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url}/{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def prefect_server(tmp_path: Path):
    """A real Prefect server (``prefect server start``) on a free port, with its own database."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(
        command,
        env=_environment(tmp_path / "server-home"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                _api(url, "health")
                break
            except OSError:
                assert server.poll() is None, "the Prefect server did not start"
                assert time.monotonic() < deadline, "the Prefect server did not answer"
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)


def _run_command(demo_config: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "vcc.flows.cli", "run", "--quarter", FLOW_QUARTER,
            "--as-of", FLOW_AS_OF.isoformat(), "--config", str(demo_config), "--out", str(out),
            "--verbose"]  # fmt: skip


def test_a_run_with_a_prefect_server_configured_reports_to_it(
    prefect_server, demo_config: Path, tmp_path: Path
) -> None:
    environment = _environment(
        tmp_path / "vcc-home", PREFECT_API_URL=prefect_server, PREFECT_LOGGING_LEVEL="INFO"
    )
    done = subprocess.run(_run_command(demo_config, tmp_path / "out"), env=environment,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"vcc: using the Prefect server at {prefect_server.removesuffix('/api')}" in done.stdout
    # neither vcc's temporary server nor Prefect's ("Starting temporary server on ...")
    printed = (done.stdout + done.stderr).lower()
    assert "temporary server" not in printed and "temporary prefect server" not in printed

    [flow] = _api(prefect_server, "flows/filter", {})
    assert flow["name"] == "quarterly-compliance-report"
    [flow_run] = _api(prefect_server, "flow_runs/filter", {})
    assert flow_run["flow_id"] == flow["id"]
    assert flow_run["state_type"] == "COMPLETED"
    assert flow_run["parameters"]["quarter"] == FLOW_QUARTER
    assert flow_run["parameters"]["triggered_by"] == "manual"
    assert flow_run["parameters"]["out_dir"] == str(tmp_path / "out")
    logs = _api(
        prefect_server, "logs/filter", {"logs": {"flow_run_id": {"any_": [flow_run["id"]]}}}
    )
    assert any("report published" in line["message"] for line in logs)


def _descendants(pid: int) -> dict[int, str]:
    """Every process descended from ``pid``, by process id, with its start time (field 22 of
    /proc/PID/stat) so that a recycled process id is not taken for a survivor."""
    parents: dict[int, int] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        parents[int(entry.name)] = int(fields[1])
        started[int(entry.name)] = fields[19]
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found[child] = started[child]
                frontier.append(child)
    return found


def _alive(pid: int, started: str) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] != "Z"


@pytest.mark.parametrize("signal_sent", [signal.SIGTERM, signal.SIGKILL])
def test_no_process_of_a_run_outlives_it(signal_sent, demo_config: Path, tmp_path: Path) -> None:
    environment = _environment(tmp_path / "vcc-home")
    command = _run_command(demo_config, tmp_path / "out")
    vcc = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    try:
        assert vcc.stdout is not None
        for line in vcc.stdout:
            if line.startswith("vcc: temporary Prefect server at"):
                break
        else:
            pytest.fail(f"vcc ended (status {vcc.wait()}) before its server was ready")
        children = _descendants(vcc.pid)
        assert children, "the temporary server is a child process of vcc"
        vcc.send_signal(signal_sent)
        assert vcc.wait(timeout=120) != 0
        deadline = time.monotonic() + 30
        while any(_alive(pid, started) for pid, started in children.items()):
            assert time.monotonic() < deadline, "a process vcc started outlived it"
            time.sleep(0.2)
    finally:
        if vcc.poll() is None:
            vcc.kill()
            vcc.wait()
