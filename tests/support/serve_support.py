"""The real `chatwh serve` in a subprocess, and keys made by the real `chatwh keys`."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import CHATWH, Deployment

STARTED = re.compile(r"serving on (http://\S+) ")


def with_keys(deployment: Deployment, keys: Path) -> Deployment:
    """The deployment with its own key file (the shared simulated warehouse stays as it is)."""
    return dataclasses.replace(deployment, env={**deployment.env, "CHATWH_KEYS": str(keys)})


def create_key(deployment: Deployment, *assistants: str) -> tuple[str, str]:
    """(key id, key) of a new key: the key is the last line that `chatwh keys create` prints."""
    args = [arg for assistant in assistants for arg in ("--assistant", assistant)]
    completed = deployment.chatwh("keys", "create", *args, "--warehouse", str(deployment.warehouse))
    lines = completed.stdout.strip().splitlines()
    key_id = re.search(r"created key (k[0-9a-f]+)", lines[0]).group(1)
    return key_id, lines[-1]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def get(self, path: str, key: str | None = None, **kwargs) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return httpx.get(self.url + path, headers=headers, timeout=30, **kwargs)

    def client_options(self, origin: str, headers: dict[str, str]) -> httpx.Response:
        """A browser's CORS preflight from ``origin``."""
        return httpx.options(
            self.url + "/v1/assistants", headers={"Origin": origin, **headers}, timeout=30
        )

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as systemd stops a service; the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def access_log(self) -> list[dict]:
        lines = self.log.read_text().splitlines()
        return [
            record for record in map(json.loads, lines) if record.get("logger") == "chatwh.access"
        ]


def _started(process: subprocess.Popen, timeout: float) -> tuple[re.Match | None, str]:
    """The "serving on URL" line of the server's stdout, and what it printed up to it."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in iter(process.stdout.readline, ""):
            lines.put(line)
            if STARTED.search(line):
                return
        lines.put("")  # the server ended

    threading.Thread(target=read, daemon=True).start()
    printed = ""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        printed += line
        if not line or STARTED.search(line):
            return STARTED.search(line), printed
    return None, printed


@contextlib.contextmanager
def serving(deployment: Deployment, log: Path, *args: str) -> Iterator[Server]:
    """`chatwh serve --port 0` on the deployment's warehouse, until the block ends."""
    command = [CHATWH, "serve", "--port", "0", "--warehouse", str(deployment.warehouse), *args]
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            command, env=deployment.env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    try:
        started, printed = _started(process, timeout=60)
        assert started, f"chatwh serve did not start: {printed!r}\n{log.read_text()}"
        server = Server(process, started.group(1), log)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()


# --------------------------------------------------------------------------- the API's tests

ACME, GLOBEX, INITECH = "acme-support", "globex-sales", "initech-help"
WINDOW = {"from": "2026-01-01", "to": "2026-02-14"}
VIEWS = ("dashboard", "sessions", "customers")
PARAMETERS = {
    "dashboard": {"as_of": "2026-02-14"},
    "sessions": {**WINDOW, "channel": "all"},
    "customers": {**WINDOW, "grain": "week", "channel": "all"},
}


@dataclass(frozen=True)
class Site:
    deployment: Deployment
    server: Server
    key: str  # covers acme-support and globex-sales
    other_key: str  # covers initech-help only


def cli_json(deployment: Deployment, *args: str) -> dict:
    return json.loads(deployment.chatwh(*args, "--json").stdout)


def one_line_problem(response) -> str:
    """The body of an error: {"detail": one line}, and nothing of a traceback."""
    body = response.json()
    assert set(body) == {"detail"}, body
    assert "\n" not in body["detail"] and "Traceback" not in response.text, body
    return body["detail"]
