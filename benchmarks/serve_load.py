"""Load on ``chatwh serve``: web-app users on 127.0.0.1, optionally while a nightly writes.

A benchmark, not a test: it prints figures and fails only when the server does not start.

    python -m benchmarks.serve_load --warehouse data/bench/1M.duckdb
    python -m benchmarks.serve_load --warehouse data/bench/1M.duckdb \\
        --nightly-landing data/bench/1M-366d/landing --nightly-date 2026-01-01

It starts the real ``chatwh serve --port 0`` on the warehouse (its serving snapshot), makes
one API key with ``chatwh keys create`` (in a key file of its own, removed afterwards),
then runs ``--clients`` simulated users for ``--seconds`` in one asyncio process (aiohttp on
uvloop: the lightest client of the lock, so that the load generator, which shares the
machine's two cores with the server, adds as little as it can to the latencies it reports;
docs/benchmarks.md "chatwh serve: a lighter load generator").

Each user paces itself as a person at the web app does: it opens a view of one assistant
(the three modules at once, as the page asks for them: dashboard, sessions and customers
in parallel), reads it for a think time drawn uniformly from 2 to 8 s, then changes the
filter (a new random window of 7, 30, 90, 182 or 365 days ending on a random day of the
data, a random channel, the grain left automatic or chosen) and asks again. 200 users make
about 120 requests a second. Every request has a 10 s timeout; the run is bounded by
``--seconds`` (the requests under way at the end are awaited, then it stops).

With ``--nightly-landing`` and ``--nightly-date`` a ``chatwh run --date`` starts when the
load does (at the niceness ``--nightly-nice``, as the Dagster daemon's unit runs it: 10);
the figures are then reported separately for the requests that started while the run
wrote and for the others.

Latencies are measured by the client: from sending a request to reading its whole answer,
queueing in the server included. The client shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import duckdb
import uvloop

from orchestration.settings import serving_dir

CHATWH = str(Path(sys.executable).with_name("chatwh"))
RANGE_SQL = Path(__file__).with_name("sql") / "serve_load_range.sql"
WINDOW_DAYS = (7, 30, 90, 182, 365)
GRAINS = (None, None, "day", "week", "month")
CHANNELS = ("all", "all", "web", "whatsapp")
THINK_SECONDS = (2.0, 8.0)
LOOPBACK = re.compile(r"http://127\.0\.0\.1:\d+")
TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass
class Sample:
    view: str  # dashboard, sessions, customers, customers 1 year
    began: float  # monotonic
    ms: float
    status: int  # 0: no answer (timeout, connection error)


@dataclass
class Load:
    samples: list[Sample] = field(default_factory=list)
    nightly: tuple[float, float] | None = None  # monotonic start and end of the run


def data_range(warehouse: Path) -> tuple[list[str], date, date]:
    """The assistants and the first and last local day of the served snapshot."""
    snapshot = serving_dir(warehouse) / "current.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assistants, first, last = con.execute(RANGE_SQL.read_text()).fetchall()[0]
    return assistants, first, last


def start_server(
    warehouse: Path, env: dict[str, str], log: Path | None
) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [CHATWH, "serve", "--port", "0", "--warehouse", str(warehouse)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if log is None else log.open("w"),
        text=True,
    )
    for line in server.stdout:
        found = LOOPBACK.search(line)
        if found and line.startswith("serving on"):
            return server, found.group(0)
    raise RuntimeError(f"chatwh serve did not start (exit status {server.wait()})")


def create_key(assistants: list[str], warehouse: Path, env: dict[str, str]) -> str:
    args = [part for assistant in assistants for part in ("--assistant", assistant)]
    completed = subprocess.run(
        [CHATWH, "keys", "create", *args, "--warehouse", str(warehouse)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip().splitlines()[-1]


def random_filters(
    rng: random.Random, assistants: list[str], first: date, last: date
) -> tuple[str, dict, dict]:
    """(assistant, window params, customers params) a person might choose next."""
    days = rng.choice(WINDOW_DAYS)
    span = (last - first).days - days + 1
    to = first + timedelta(days=days - 1 + rng.randrange(max(span, 1)))
    window = {
        "from": (to - timedelta(days=days - 1)).isoformat(),
        "to": to.isoformat(),
        "channel": rng.choice(CHANNELS),
    }
    grain = rng.choice(GRAINS)
    customers = {**window, **({"grain": grain} if grain else {})}
    return rng.choice(assistants), window, customers


async def timed_get(
    client: aiohttp.ClientSession, load: Load, view: str, path: str, params: dict
) -> None:
    began = time.monotonic()
    try:
        async with client.get(path, params=params) as response:
            await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        status = 0
    load.samples.append(Sample(view, began, (time.monotonic() - began) * 1000, status))


async def user(
    number: int, url: str, key: str, scope: tuple, deadline: float, load: Load, seed: int
) -> None:
    rng = random.Random(seed * 100_003 + number)
    assistants, first, last = scope
    headers = {"Authorization": f"Bearer {key}"}
    # Up to three connections, kept alive, as a browser's for one page's three requests.
    connector = aiohttp.TCPConnector(limit=3)
    async with aiohttp.ClientSession(
        url, headers=headers, timeout=TIMEOUT, connector=connector
    ) as client:
        await asyncio.sleep(rng.uniform(*THINK_SECONDS) - THINK_SECONDS[0])  # staggered start
        while time.monotonic() < deadline:
            assistant, window, customers = random_filters(rng, assistants, first, last)
            base = f"/v1/assistants/{assistant}"
            days = date.fromisoformat(window["to"]) - date.fromisoformat(window["from"])
            one_year = days.days + 1 >= 365
            await asyncio.gather(
                timed_get(client, load, "dashboard", f"{base}/dashboard", {"as_of": window["to"]}),
                timed_get(client, load, "sessions", f"{base}/sessions", window),
                timed_get(
                    client,
                    load,
                    "customers 1 year" if one_year else "customers",
                    f"{base}/customers",
                    customers,
                ),
            )
            await asyncio.sleep(
                min(rng.uniform(*THINK_SECONDS), max(deadline - time.monotonic(), 0))
            )


async def nightly(args: argparse.Namespace, env: dict, load: Load) -> None:
    began = time.monotonic()
    run = await asyncio.create_subprocess_exec(
        CHATWH, "run", "--landing", args.nightly_landing, "--warehouse", str(args.warehouse),
        "--date", args.nightly_date,
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        preexec_fn=lambda: os.nice(args.nightly_nice),
    )  # fmt: skip
    status = await run.wait()
    load.nightly = (began, time.monotonic())
    print(
        f"nightly chatwh run --date {args.nightly_date} (nice {args.nightly_nice}): "
        f"exit {status}, {load.nightly[1] - began:.1f}s"
    )


async def drive(args: argparse.Namespace, url: str, key: str, scope: tuple, env: dict) -> Load:
    load = Load()
    deadline = time.monotonic() + args.seconds
    tasks = [
        user(number, url, key, scope, deadline, load, args.seed) for number in range(args.clients)
    ]
    if args.nightly_landing:
        tasks.append(nightly(args, env, load))
    await asyncio.gather(*tasks)
    return load


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(title: str, samples: list[Sample], seconds: float) -> None:
    print(f"\n{title}: {len(samples)} requests, {len(samples) / seconds:.1f}/s")
    if not samples:
        return
    print("| view | requests | errors | p50 (ms) | p99 (ms) | max (ms) |")
    print("|---|---|---|---|---|---|")
    for view in ("dashboard", "sessions", "customers", "customers 1 year"):
        mine = [sample for sample in samples if sample.view == view]
        if not mine:
            continue
        errors = sum(sample.status != 200 for sample in mine)
        ms = [sample.ms for sample in mine]
        print(
            f"| {view} | {len(mine)} | {errors} | {statistics.median(ms):.1f} "
            f"| {percentile(ms, 0.99):.1f} | {max(ms):.1f} |"
        )


def report_server(log: Path) -> None:
    """The server's own times (its access log's ``ms``: from the request's arrival in the
    application to its answer, without the client's and the network's share)."""
    times: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        record = json.loads(line)
        if record.get("logger") == "chatwh.access" and record.get("status") == 200:
            times.setdefault(record["route"].rsplit("/", 1)[-1], []).append(record["ms"])
    print(f"\nthe server's own times ({log}):")
    print("| route | requests | p50 (ms) | p99 (ms) | max (ms) |")
    print("|---|---|---|---|---|")
    for route, ms in sorted(times.items()):
        print(
            f"| {route} | {len(ms)} | {statistics.median(ms):.1f} "
            f"| {percentile(ms, 0.99):.1f} | {max(ms):.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a built warehouse")
    parser.add_argument("--clients", type=int, default=200, help="simultaneous users (200)")
    parser.add_argument("--seconds", type=float, default=60, help="how long (60 s, at most 600)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the users' choices")
    parser.add_argument("--nightly-landing", help="landing zone of a nightly run during the load")
    parser.add_argument("--nightly-date", help="the arrival day that nightly run loads")
    parser.add_argument(
        "--nightly-nice",
        type=int,
        default=0,
        help="the nightly run's niceness (0; the Dagster daemon's unit runs at 10, "
        "docs/deploy/chatwh-dagster-daemon.service)",
    )
    parser.add_argument(
        "--server-log",
        type=Path,
        help="keep the server's log there, and report its own times from it as well",
    )
    args = parser.parse_args()
    if bool(args.nightly_landing) != bool(args.nightly_date):
        parser.error("--nightly-landing and --nightly-date go together")
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 1000:
        parser.error("at most 600 s and 1000 clients")
    args.warehouse = args.warehouse.resolve()

    with tempfile.TemporaryDirectory(prefix="serve-load-") as scratch:
        env = {**os.environ, "CHATWH_KEYS": str(Path(scratch) / "keys.sqlite")}
        # publishes a snapshot if none yet
        server, url = start_server(args.warehouse, env, args.server_log)
        try:
            scope = data_range(args.warehouse)
            key = create_key(scope[0], args.warehouse, env)
            print(f"{args.clients} users for {args.seconds:.0f}s on {url}, {args.warehouse}")
            began = time.monotonic()
            load = uvloop.run(drive(args, url, key, scope, env))
            elapsed = time.monotonic() - began
        finally:
            server.terminate()
            server.wait(timeout=30)
    if load.nightly is None:
        report("all requests", load.samples, elapsed)
    else:
        start, end = load.nightly
        during = [sample for sample in load.samples if start <= sample.began <= end]
        rest = [sample for sample in load.samples if not start <= sample.began <= end]
        report("while the nightly run wrote", during, end - start)
        report("the rest of the time", rest, max(elapsed - (end - start), 1e-9))
    if args.server_log:
        report_server(args.server_log)


if __name__ == "__main__":
    main()
