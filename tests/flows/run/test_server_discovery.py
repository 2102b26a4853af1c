"""How a run finds a Prefect server that is already running (``flows.run.server``): the active
Prefect profile's PREFECT_API_URL, and the address a running ``vcc serve`` leaves in its output
folder, used only while a server answers there. A real HTTP server stands in for Prefect's
``/api/health``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from vcc.flows.run.server import SERVE_STATE, profile_api_url, serving_api_url, serving_state


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


def test_a_run_finds_the_server_of_a_vcc_serve_on_its_output_folder(
    answering_api, tmp_path: Path
) -> None:
    with serving_state(tmp_path, answering_api):
        assert (tmp_path / SERVE_STATE).is_file()
        assert serving_api_url(tmp_path) == answering_api
    assert not (tmp_path / SERVE_STATE).exists()  # removed when vcc serve stops
    assert serving_api_url(tmp_path) is None


def test_the_address_of_a_vcc_serve_that_no_longer_answers_is_ignored(
    answering_api, tmp_path: Path
) -> None:
    (tmp_path / SERVE_STATE).write_text('{"api_url": "http://127.0.0.1:9/api", "pid": 1}')
    assert serving_api_url(tmp_path) is None  # a killed vcc serve left it: a run starts its own
    (tmp_path / SERVE_STATE).write_text("not json")
    assert serving_api_url(tmp_path) is None


def test_the_active_prefect_profiles_server_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    assert profile_api_url() is None  # no profiles file
    (tmp_path / "profiles.toml").write_text(
        'active = "work"\n\n[profiles.work]\nPREFECT_API_URL = "http://10.0.0.5:4200/api"\n\n'
        "[profiles.ephemeral]\nPREFECT_SERVER_ALLOW_EPHEMERAL_MODE = true\n"
    )
    assert profile_api_url() == "http://10.0.0.5:4200/api"
    monkeypatch.setenv("PREFECT_PROFILE", "ephemeral")
    assert profile_api_url() is None
