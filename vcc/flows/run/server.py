"""The Prefect server a run reports to, and the temporary one vcc starts when there is none.

A run uses, in this order: ``PREFECT_API_URL`` (the environment, the active Prefect profile in
``PREFECT_HOME/profiles.toml``, or Prefect's settings when Prefect is already loaded); else the
server of a ``vcc serve`` running on the same output folder, which writes its address into
``<out>/.vcc-serve.json`` (``SERVE_STATE``) while it serves; else a temporary server of its own.

The temporary server is Prefect's own (its API app under uvicorn, the command Prefect's
``SubprocessASGIServer`` runs for an ephemeral server), started by vcc so that:

- it starts in the background at the beginning of the command, while vcc imports Prefect, pandas
  and Great Expectations (``TemporaryServer.start`` returns at once, ``wait`` waits for it);
- it never outlives vcc: it is stopped when the command ends, fails or is interrupted (SIGINT,
  SIGTERM: see ``stop_on_signals``), and on Linux the kernel sends it SIGTERM if vcc dies
  any other way (``PR_SET_PDEATHSIG``), even killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from vcc.flows.errors import VccError

SERVE_STATE = ".vcc-serve.json"  # in the output folder, while `vcc serve` runs
START_TIMEOUT_SECONDS = 120
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def configured_api_url(output_root: Path) -> str | None:
    """The address of a Prefect API the run should use, if there is one (see the module
    docstring); ``None`` when vcc has to start its own."""
    if url := os.environ.get("PREFECT_API_URL"):
        return url
    if "prefect.settings" in sys.modules:  # Prefect loaded (and perhaps told of a server) already
        # Inside: Prefect, 4,253 ms; the server starts before vcc has loaded it
        from prefect.settings import PREFECT_API_URL

        if url := PREFECT_API_URL.value():
            return url
    if url := profile_api_url():
        return url
    return serving_api_url(output_root)


def profile_api_url() -> str | None:
    """PREFECT_API_URL of the active Prefect profile (``prefect config set PREFECT_API_URL=…``),
    read from the profiles file without importing Prefect, which takes seconds."""
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active", "ephemeral")
    url = profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL")
    return str(url) if url else None


def serving_api_url(output_root: Path) -> str | None:
    """The API of the ``vcc serve`` serving ``output_root``, if it is up (it answers at once)."""
    try:
        state = json.loads((output_root / SERVE_STATE).read_text(encoding="utf-8"))
        url = str(state["api_url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if _healthy(url, timeout=1) else None


@contextlib.contextmanager
def serving_state(output_root: Path, api_url: str) -> Iterator[None]:
    """``SERVE_STATE`` written for as long as ``vcc serve`` serves, so that runs find its server."""
    output_root.mkdir(parents=True, exist_ok=True)
    path = output_root / SERVE_STATE
    path.write_text(json.dumps({"api_url": api_url, "pid": os.getpid()}), encoding="utf-8")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _healthy(api_url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def end_with_parent(parent: int | None = None) -> None:
    """In the child: SIGTERM when vcc's process ends, however it ends (Linux). ``parent``, vcc's
    pid, if the child calls it itself once started (not in ``preexec_fn``)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: the signal handlers and the `finally` still stop it
    orphaned = os.getppid() == 1 if parent is None else os.getppid() != parent
    if orphaned:  # vcc died before the line above: end now
        os.kill(os.getpid(), signal.SIGTERM)


def start_child(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a helper process of vcc's (a Prefect server) that ends when vcc does, output hidden.
    Call it from the main thread: the kernel's signal follows the thread that started the child.
    """
    return subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=end_with_parent,
    )


def stop_child(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(api_url: str, process: subprocess.Popen, what: str) -> None:
    """Wait for the server ``process`` to answer at ``api_url``; a clear error if it never does."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _healthy(api_url, timeout=2):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_child(process)
            raise VccError(
                f"could not start {what}; start one with `prefect server start` and set "
                "PREFECT_API_URL"
            )
        time.sleep(0.1)


class TemporaryServer:
    """Prefect's API served by a child process of vcc for one command (see the module docstring)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server and return at once; ``wait`` before the first flow runs."""
        spec = importlib.util.find_spec("prefect")  # found without importing it (seconds)
        assert spec is not None and spec.origin is not None, "Prefect is a dependency of vcc"
        app_dir = str(Path(spec.origin).parent.parent)
        command = [
            sys.executable, "-m", "uvicorn", "--app-dir", app_dir,
            "--factory", "prefect.server.api.server:create_app",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--log-level", "error", "--lifespan", "on",
        ]  # fmt: skip
        # What Prefect sets for its own temporary server: no UI, no scheduler services.
        env = {
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        self.process = start_child(command, env)

    def wait(self) -> None:
        assert self.process is not None, "start() first"
        wait_until_healthy(self.api_url, self.process, "a temporary Prefect server")

    def stop(self) -> None:
        if self.process is not None:
            stop_child(self.process)
            self.process = None


class Interrupted(VccError):
    """vcc was asked to stop (SIGTERM): the run is recorded as failed and its server stopped."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM (and SIGHUP) end the command as Ctrl-C does, through every ``finally`` (the run is
    recorded as failed, its staging folder and its temporary server removed), instead of Python's
    default of dying on the spot."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(f"stopped by {signal.Signals(signum).name}")

    previous = {
        number: signal.signal(number, interrupt) for number in (signal.SIGTERM, signal.SIGHUP)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@dataclass
class RunServer:
    """The Prefect API a command's runs use: ``url`` (``None`` when Prefect decides: its temporary
    server disabled, it then says so), and the temporary server vcc started, if any."""

    url: str | None
    temporary: TemporaryServer | None = None

    def wait(self, announce: Callable[[str], None]) -> None:
        """Wait for the temporary server (if any) to answer; once, before the first run."""
        if self.temporary is not None and self.temporary.process is not None:
            started = time.perf_counter()
            self.temporary.wait()
            announce(
                f"vcc: temporary Prefect server at {self.temporary.api_url.removesuffix('/api')} "
                f"ready (waited {time.perf_counter() - started:.1f} s)"
            )


@contextlib.contextmanager
def run_server(output_root: Path, announce: Callable[[str], None]) -> Iterator[RunServer]:
    """The Prefect API for a command's runs (see the module docstring). A temporary server is
    started in the background and stopped at the end: the caller imports what it needs meanwhile,
    then runs its flows inside ``use_server``."""
    url = configured_api_url(output_root)
    with stop_on_signals():
        if url:
            announce(f"vcc: using the Prefect server at {url.removesuffix('/api')}")
            yield RunServer(url)
            return
        if os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "").lower() in ("false", "0"):
            yield RunServer(None)
            return
        server = TemporaryServer()
        server.start()
        try:
            yield RunServer(server.api_url, server)
        finally:
            server.stop()


@contextlib.contextmanager
def use_server(server: RunServer, announce: Callable[[str], None]) -> Iterator[None]:
    """Prefect pointed at ``server`` for the runs inside (vcc's temporary server waited for
    first); at the end the runs' pending log lines and events are sent before it stops."""
    server.wait(announce)
    if server.url is None:
        yield
        return
    # Inside: Prefect, 4,253 ms; the server starts before vcc has loaded it
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.url}):
        try:
            yield
        finally:
            _drain_prefect_workers()


def _drain_prefect_workers() -> None:
    """Send the runs' remaining log lines and events while the server is still up (as Prefect's
    own test harness does before it stops its server)."""
    # Inside: Prefect, 4,253 ms; the server starts before vcc has loaded it
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):  # a worker that never started has nothing to send
            worker.drain_all(timeout=10)
