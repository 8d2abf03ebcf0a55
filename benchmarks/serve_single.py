"""What one request to ``chatwh serve`` costs, and where it goes: a benchmark, not a test.

    python -m benchmarks.serve_single --warehouse data/s/wh.duckdb

It starts the real ``chatwh serve --port 0`` on the warehouse's serving snapshot (as
``serve_load.py`` does, with a scratch key), then asks each case ``--repeat`` times, one
request at a time, and prints the median and the slowest, client side:

- **cold**: every request a different window (ending on a different day), so that no
  answer can come from the server's answer cache: what a random window costs;
- **repeat**: the same request each time (after one to warm it): what a repeated question
  (a preset, a reload, another user of the same client) costs;
- **in process**: the function of ``orchestration/views.py`` on the snapshot opened
  read-only in this process, with the same cold windows: the query and its Python, without
  HTTP, FastAPI or JSON. The difference with *cold* is the server's own overhead;
- **in process, warehouse**: the same on the warehouse itself (read-only: no run may be
  writing), whose Customers view counts distinct users where the snapshot's reads its
  serving table, interleaved with the previous one request by request, so that both see
  the same load of a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx

from orchestration import views
from orchestration.settings import serving_dir
from orchestration.warehouse import connect

from .serve_load import create_key, data_range, start_server

CASES = (  # name, path below /v1/assistants/{id}, window days (0: dashboard), grain
    ("sessions 90 days", "sessions", 90, None),
    ("sessions 365 days", "sessions", 365, None),
    ("dashboard", "dashboard", 0, None),
    ("customers 90 days", "customers", 90, None),
    ("customers 365 days", "customers", 365, None),
    ("customers 365 days by day", "customers", 365, "day"),
)

KINDS = ("cold", "repeat", "in process", "in process, warehouse")


def params_of(days: int, grain: str | None, last: date, shift: int) -> dict[str, str]:
    to = last - timedelta(days=shift)
    if days == 0:
        return {"as_of": to.isoformat()}
    window = {"from": (to - timedelta(days=days - 1)).isoformat(), "to": to.isoformat()}
    return {**window, **({"grain": grain} if grain else {})}


def timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def in_process(con, assistant: str, path: str, params: dict[str, str]) -> object:
    if path == "dashboard":
        return views.dashboard(con, assistant, date.fromisoformat(params["as_of"]))
    window = views.Window(
        assistant, date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
    )
    if path == "sessions":
        return views.sessions(con, window)
    return views.customers(con, window, params.get("grain"))


def fetch(client: httpx.Client, url: str, params: dict[str, str]) -> None:
    response = client.get(url, params=params)
    response.raise_for_status()


def row(name: str, values: list[float]) -> str:
    return f"| {name} | {statistics.median(values):.1f} | {max(values):.1f} |"


def one_case(
    client: httpx.Client, con, warehouse, case: tuple, assistant: str, last: date, repeat: int
):
    """(cold, repeat, in process, in process on the warehouse) milliseconds of one case."""
    _name, path, days, grain = case
    endpoint = f"/v1/assistants/{assistant}/{path}"
    windows = [params_of(days, grain, last, shift) for shift in range(repeat)]
    cold = [timed(lambda p=p: fetch(client, endpoint, p)) for p in windows]
    same = params_of(days, grain, last, repeat)
    fetch(client, endpoint, same)
    again = [timed(lambda: fetch(client, endpoint, same)) for _ in windows]
    local, built = [], []
    for p in windows:
        local.append(timed(lambda p=p: in_process(con, assistant, path, p)))
        built.append(timed(lambda p=p: in_process(warehouse, assistant, path, p)))
    return cold, again, local, built


def measure(args: argparse.Namespace, url: str, key: str, assistant: str, last: date) -> None:
    snapshot = serving_dir(args.warehouse) / "current.duckdb"
    con = connect(snapshot.resolve(), read_only=True)
    warehouse = connect(args.warehouse, read_only=True)
    headers = {"Authorization": f"Bearer {key}"}
    print("| case | median (ms) | max (ms) |")
    print("|---|---|---|")
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for case in CASES:
            timings = one_case(client, con, warehouse, case, assistant, last, args.repeat)
            for kind, values in zip(KINDS, timings, strict=True):
                print(row(f"{case[0]}, {kind}", values))
    con.close()
    warehouse.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a built warehouse")
    parser.add_argument("--repeat", type=int, default=20, help="requests per case (20)")
    parser.add_argument("--assistant", help="the assistant asked (default: the first)")
    args = parser.parse_args()
    args.warehouse = args.warehouse.resolve()
    with tempfile.TemporaryDirectory(prefix="serve-single-") as scratch:
        env = {**os.environ, "CHATWH_KEYS": str(Path(scratch) / "keys.sqlite")}
        server, url = start_server(args.warehouse, env, None)
        try:
            assistants, _first, last = data_range(args.warehouse)
            key = create_key(assistants, args.warehouse, env)
            print(f"{args.repeat} requests per case, one at a time, on {url}")
            print(f"load average before: {os.getloadavg()[0]:.1f}")
            measure(args, url, key, args.assistant or assistants[0], last)
            print(f"load average after: {os.getloadavg()[0]:.1f}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
