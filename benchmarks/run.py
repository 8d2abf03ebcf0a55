"""``make bench``: speed and memory of the warehouse at 1M and 10M simulated messages.

For each size it simulates a year plus one day of logs (cached under data/bench/), then
measures, side by side in the same run:

- the DuckDB floor (benchmarks/floor.py) over the year;
- the full pipeline: ``chatwh run`` over every arrival day of the year, fresh warehouse;
- the nightly run: ``chatwh run --date`` of the extra day on top of that history, and the
  same on top of one month of history; each twice: the first run after the backfill, and
  the next one (the same day again: the steady state of a nightly schedule);
- the views: ``marts.sessions_view`` for a 1-day, a 4-month and a 1-year window (median of
  30 calls), ``marts.customers_view`` for the year (median of 10), and the ``chatwh
  sessions`` command (median of 5 wall times);
- the peak resident memory of each ``chatwh run`` (its whole process tree).

Results are printed and written into docs/benchmarks.md between the result markers.
Each size is measured on two shapes of data (the simulator's presets, ``chatwh simulate
--shape``): ``default`` (this project's own: returning users, bot replies, batched
deliveries) and ``many-users`` (like a landing zone made independently of it: many users
with about two sessions each, one message per WhatsApp body, one file per day, three
assistants).

Usage: python -m benchmarks.run [--sizes 1M,10M,100M] [--shapes default,many-users]
[--no-doc]; the 100M landing zone (gzipped, 23 GB) and its run take an hour or more, so
`make bench` measures 1M and 10M and the 100M row is kept from its last measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from benchmarks.floor import run_floor
from orchestration.settings import PROJECT_DIR, dbt_target_path
from simulator.params import SHAPES

BENCH_DIR = PROJECT_DIR / "data" / "bench"
DOC = PROJECT_DIR / "docs" / "benchmarks.md"
KEY = "benchmark-key"
START = date(2025, 1, 1)
YEAR_DAYS = 365
CHATWH = str(Path(sys.executable).with_name("chatwh"))
SIZES = {"1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}
# Share of files gzipped: 100M messages are about 120 GB of JSON lines uncompressed.
GZIP_SHARE = {"1M": 0.25, "10M": 0.25, "100M": 1.0}
# Floor and full run pairs per size: on this machine either moves by 5 to 10 % from run
# to run, so the table shows the medians of three pairs (one at 100M: 40 minutes a pair).
REPEATS = {"1M": 3, "10M": 3, "100M": 1}

# Runs a command and prints the peak RSS (KiB) of its whole process tree: ru_maxrss of
# RUSAGE_CHILDREN is the largest among all waited-for descendants.
RSS_WRAPPER = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


@dataclass
class Timed:
    seconds: float
    peak_rss_mib: float


def environment(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CHATWH_PSEUDONYM_KEY": KEY,
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


def timed(command: list[str], env: dict[str, str]) -> Timed:
    """Wall time and peak RSS of a command (fails loudly if the command fails)."""
    began = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", RSS_WRAPPER, *command],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - began
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}")
    peak_kib = int(completed.stderr.strip().splitlines()[-1])
    return Timed(seconds, peak_kib / 1024)


def messages_per_user(days: int, shape: str) -> float:
    """Calibrate the simulator: messages per simulated person over ``days`` days."""
    from simulator import simulate

    probe = BENCH_DIR / "calibration"
    shutil.rmtree(probe, ignore_errors=True)
    summary = simulate(probe, start=START, days=days, users=2000, seed=1, params=SHAPES[shape])
    return summary.messages / 2000


def label(size: str, shape: str) -> str:
    """``10M`` for the default shape, ``10M many-users`` for another (folders, table rows)."""
    return size if shape == "default" else f"{size} {shape}"


def landing_for(size: str, shape: str, days: int, per_user: float) -> tuple[Path, int]:
    """A simulated landing zone of about SIZES[size] messages over ``days`` days (cached)."""
    from simulator import simulate

    landing = BENCH_DIR / f"{label(size, shape).replace(' ', '-')}-{days}d" / "landing"
    marker = landing.parent / "summary.json"
    if marker.exists():
        return landing, json.loads(marker.read_text())["messages"]
    users = max(100, round(SIZES[size] * days / (YEAR_DAYS + 1) / per_user))
    began = time.perf_counter()
    summary = simulate(
        landing,
        start=START,
        days=days,
        users=users,
        seed=42,
        gzip_share=GZIP_SHARE[size],
        params=SHAPES[shape],
    )
    print(
        f"  simulated {summary.messages:,} messages ({users:,} people, {days} days) "
        f"in {time.perf_counter() - began:.0f}s",
        flush=True,
    )
    marker.write_text(json.dumps({"messages": summary.messages, "users": users}))
    return landing, summary.messages


def read_landing(landing: Path) -> float:
    """Read every file of the landing zone once; return the seconds.

    The floor and the full run then both find it in the page cache (where it fits), so
    that the one measured first does not also pay for reading it from disk.
    """
    began = time.perf_counter()
    for path in sorted(landing.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                while handle.read(8 * 1024 * 1024):
                    pass
    return time.perf_counter() - began


def run_days(landing: Path, warehouse: Path, first: date, last: date, env: dict) -> Timed:
    args = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    span = ["--date", str(first)] if first == last else ["--from", str(first), "--to", str(last)]
    return timed([CHATWH, *args, *span], env)


def median_ms(con: duckdb.DuckDBPyConnection, sql: str, params: list, repeat: int) -> float:
    con.execute(sql, params).fetchall()  # warm
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        con.execute(sql, params).fetchall()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def query_times(warehouse: Path, env: dict[str, str]) -> dict[str, float]:
    last = START + timedelta(days=YEAR_DAYS - 1)
    windows = {
        "1 day": (last, last),
        "4 months": (last - timedelta(days=120), last),
        "1 year": (START, last),
    }
    results: dict[str, float] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assistant = con.execute(
            "select assistant_id from marts.customers group by 1 order by count(*) desc limit 1"
        ).fetchall()[0][0]
        for name, (first, to) in windows.items():
            results[f"sessions_view {name} (ms)"] = median_ms(
                con, "select * from marts.sessions_view(?, ?, ?)", [assistant, first, to], 30
            )
        results["customers_view 1 year (ms)"] = median_ms(
            con, "select * from marts.customers_view(?, ?, ?)", [assistant, START, last], 10
        )
    command = [
        CHATWH,
        "sessions",
        "--assistant",
        assistant,
        "--from",
        str(START),
        "--to",
        str(last),
        "--warehouse",
        str(warehouse),
        "--json",
    ]
    walls = []
    for _ in range(5):
        began = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - began)
    results["chatwh sessions (s)"] = statistics.median(walls)
    return results


def nightly_pair(landing: Path, warehouse: Path, day: date, env: dict) -> tuple[Timed, float]:
    """The first nightly run after the backfill (dbt re-parses: its vars changed), and the
    next one (steady state: the same day loaded again, which replaces it)."""
    first = run_days(landing, warehouse, day, day, env)
    return first, run_days(landing, warehouse, day, day, env).seconds


def bench_size(
    size: str, shape: str, per_user: dict[int, float], repeats: int
) -> dict[str, object]:
    name = label(size, shape)
    print(f"{name}:", flush=True)
    root = BENCH_DIR / name.replace(" ", "-")
    env = environment(root)
    landing, messages = landing_for(size, shape, YEAR_DAYS + 1, per_user[YEAR_DAYS + 1])
    year_last = START + timedelta(days=YEAR_DAYS - 1)
    extra_day = year_last + timedelta(days=1)

    root.mkdir(parents=True, exist_ok=True)
    print(f"  landing zone read once in {read_landing(landing):.1f}s", flush=True)
    warehouse = root / "warehouse.duckdb"
    floors, fulls = [], []
    for attempt in range(1, repeats + 1):
        floor_db = root / "floor.duckdb"
        floors.append(run_floor(landing, floor_db, KEY.encode(), until=year_last))
        floor_db.unlink()  # its disk is the warehouse's next (at 100M, gigabytes)
        # every full run starts as on a new machine: no warehouse, no saved dbt parse
        for suffix in ("", ".wal"):
            Path(str(warehouse) + suffix).unlink(missing_ok=True)
        shutil.rmtree(dbt_target_path(warehouse), ignore_errors=True)
        fulls.append(run_days(landing, warehouse, START, year_last, env))
        print(
            f"  pair {attempt} of {repeats}: floor {floors[-1]:.1f}s, full run "
            f"{fulls[-1].seconds:.1f}s ({fulls[-1].seconds / floors[-1]:.2f} x), "
            f"peak {fulls[-1].peak_rss_mib:.0f} MiB",
            flush=True,
        )
    floor = statistics.median(floors)
    full_s = statistics.median(run.seconds for run in fulls)
    pair_ratios = [run.seconds / seconds for run, seconds in zip(fulls, floors, strict=True)]
    nightly_year, nightly_year_next = nightly_pair(landing, warehouse, extra_day, env)
    print(f"  nightly on a year {nightly_year.seconds:.1f}s, next {nightly_year_next:.1f}s")
    queries = query_times(warehouse, env)
    print("  " + ", ".join(f"{name} {value:.3g}" for name, value in queries.items()), flush=True)

    # the same messages per day as the year: the nightly day is the same size on both
    month_landing, _ = landing_for(size, shape, 31, per_user[31])
    month_warehouse = root / "month.duckdb"
    for suffix in ("", ".wal"):
        Path(str(month_warehouse) + suffix).unlink(missing_ok=True)
    run_days(month_landing, month_warehouse, START, START + timedelta(days=29), env)
    day_31 = START + timedelta(days=30)
    nightly_month, nightly_month_next = nightly_pair(month_landing, month_warehouse, day_31, env)
    print(f"  nightly on a month {nightly_month.seconds:.1f}s, next {nightly_month_next:.1f}s")
    return {
        "size": name,
        "messages": messages,
        "floor_s": floor,
        "full_s": full_s,
        "ratio": full_s / floor,
        "pair_ratios": pair_ratios,
        "nightly_month_s": nightly_month.seconds,
        "nightly_month_next_s": nightly_month_next,
        "nightly_year_s": nightly_year.seconds,
        "nightly_year_next_s": nightly_year_next,
        "peak_mib": max(*(run.peak_rss_mib for run in fulls), nightly_year.peak_rss_mib),
        **queries,
    }


def commit() -> str:
    """The checked-out commit, with ``+`` when the working tree has changes."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_DIR
    ).stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=PROJECT_DIR).returncode
    return f"{head}+" if dirty else head


TABLE_HEAD = (
    "| messages | full run (s) | floor (s) | ratio | nightly, 1-month history: first / next "
    "(s) | nightly, 1-year history: first / next (s) | "
    "sessions_view 1 day / 4 months / 1 year (ms) | "
    "customers_view 1 year (ms) | chatwh sessions (s) | peak RSS of a run (MiB) | measured |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def table_row(row: dict[str, object], measured: str) -> str:
    return (
        f"| {row['messages']:,} ({row['size']}) | {row['full_s']:.1f} | {row['floor_s']:.1f} "
        f"| {ratio_cell(row)} "
        f"| {row['nightly_month_s']:.1f} / {row['nightly_month_next_s']:.1f}"
        f" | {row['nightly_year_s']:.1f} / {row['nightly_year_next_s']:.1f} "
        f"| {row['sessions_view 1 day (ms)']:.1f} / {row['sessions_view 4 months (ms)']:.1f}"
        f" / {row['sessions_view 1 year (ms)']:.1f} | {row['customers_view 1 year (ms)']:.0f}"
        f" | {row['chatwh sessions (s)']:.2f} | {row['peak_mib']:.0f} | {measured} |"
    )


def ratio_cell(row: dict[str, object]) -> str:
    """The ratio of the medians, and the range of the pairs' ratios when there were several."""
    pairs = row["pair_ratios"]
    spread = f" ({min(pairs):.2f} to {max(pairs):.2f})" if len(pairs) > 1 else ""
    return f"{row['ratio']:.2f}{spread}"


LABELS = [label(size, shape) for size in SIZES for shape in SHAPES]


def row_size(line: str) -> str | None:
    """``1M`` for a table row ``| 957,683 (1M) | ...`` (``1M many-users`` for that shape's),
    None for any other line."""
    first = line.split(" | ")[0]
    name = first.rsplit("(", 1)[-1].rstrip(")")
    return name if line.startswith("| ") and first.endswith(")") and name in LABELS else None


def write_doc(rows: list[dict[str, object]], measured: str) -> None:
    """Rewrite the table: new rows for the sizes measured, the other sizes' rows kept."""
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    text = DOC.read_text()
    before, rest = text.split(start)
    old, after = rest.split(end)
    by_size = {size: line for line in old.splitlines() if (size := row_size(line))}
    by_size.update({row["size"]: table_row(row, measured) for row in rows})
    body = [by_size[name] for name in LABELS if name in by_size]
    markdown = "\n".join([TABLE_HEAD, *body])
    DOC.write_text(f"{before}{start}\n{markdown}\n{end}{after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M", help="comma-separated: 1M, 10M, 100M")
    parser.add_argument(
        "--shapes", default="default,many-users", help=f"comma-separated: {', '.join(SHAPES)}"
    )
    parser.add_argument("--no-doc", action="store_true", help="print only")
    parser.add_argument(
        "--repeats",
        type=int,
        help="floor and full run pairs per size; the table shows their medians "
        "(default: 3 for 1M and 10M, 1 for 100M)",
    )
    args = parser.parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    shapes = args.shapes.split(",")
    per_user = {
        shape: {days: messages_per_user(days, shape) for days in (YEAR_DAYS + 1, 31)}
        for shape in shapes
    }
    measured = f"{date.today()}, {commit()}"
    rows = [
        bench_size(size, shape, per_user[shape], args.repeats or REPEATS[size])
        for size in args.sizes.split(",")
        for shape in shapes
    ]
    print("\n".join([TABLE_HEAD, *(table_row(row, measured) for row in rows)]))
    if not args.no_doc:
        write_doc(rows, measured)


if __name__ == "__main__":
    main()
