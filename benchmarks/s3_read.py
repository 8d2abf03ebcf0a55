"""How fast the ``s3://`` landing zone reads, next to the same files on the local disk.

Simulates a landing zone (cached under data/bench/s3/), starts an S3-compatible server
(moto's, in a process of its own) on 127.0.0.1, uploads the files, then measures:

- the server's own floor: every file downloaded with boto3, one after the other;
- DuckDB reading every line of every file (the ingest's reader, ``read_csv`` of one
  column) through s3fs registered with DuckDB, and the same from the local folder;
- the full ``chatwh run`` over every arrival day, from S3 and from the folder (fresh
  warehouses).

Usage: python -m benchmarks.s3_read [--days 60] [--users 3000]. Prints the figures; they
are measurements of this machine and of moto's server (a Python process on the same two
cores), not of Amazon S3.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from orchestration.ingest import CHANNELS, landing_files, read_csv_sql
from orchestration.landing_fs import landing_connection
from orchestration.settings import PROJECT_DIR
from tests.support.s3_server import CREDENTIALS, client, moto_server, upload

BENCH_DIR = PROJECT_DIR / "data" / "bench" / "s3"
BIN = Path(sys.executable).parent
BUCKET, PREFIX = "bench", "landing"


def timed(label: str, megabytes: float, action) -> float:
    began = time.perf_counter()
    action()
    seconds = time.perf_counter() - began
    print(f"{label:<44} {seconds:7.2f} s  {megabytes / seconds:7.1f} MB/s", flush=True)
    return seconds


def read_in_child(landing: str, env: dict[str, str]) -> None:
    """``read_every_line`` in a process of its own, with the S3 settings in its environment
    (Python's start and imports included, about 0.5 s, alike for both)."""
    command = [sys.executable, "-m", "benchmarks.s3_read", "--read", landing]
    subprocess.run(command, env=env, check=True, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL)


def read_every_line(landing: str) -> int:
    """Every line of every file, as ingest reads them (one read for all the files)."""
    with landing_connection(landing) as con:
        files = [path for channel in CHANNELS for path in landing_files(con, landing, channel)]
        return con.execute(
            f"select count(*) from {read_csv_sql('$files')}", {"files": files}
        ).fetchall()[0][0]


def chatwh_run(landing: str, folder: Path, env: dict[str, str]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    subprocess.run(
        [str(BIN / "chatwh"), "run", "--landing", landing, "--warehouse", str(folder / "w.duckdb")],
        env={**env, "DAGSTER_HOME": str(folder / "dagster_home")},
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--read", metavar="LANDING", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        print(read_every_line(args.read))
        return
    landing = BENCH_DIR / f"landing-{args.days}d-{args.users}u"
    if not landing.exists():
        subprocess.run(
            [str(BIN / "chatwh"), "simulate", "--out", str(landing), "--start", "2025-01-01",
             "--days", str(args.days), "--users", str(args.users), "--gzip-share", "0"],
            check=True,
        )  # fmt: skip
    files = [path for path in sorted(landing.rglob("*")) if path.is_file()]
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    print(f"landing zone: {len(files)} files, {megabytes:.1f} MB ({landing})", flush=True)
    env = {**os.environ, **CREDENTIALS, "CHATWH_PSEUDONYM_KEY": "benchmark-key"}
    with moto_server(BUCKET) as endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
        keys = upload(landing, endpoint, BUCKET, PREFIX)
        s3 = client(endpoint)
        timed(
            "boto3 download of every file (server floor)",
            megabytes,
            lambda: [s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys],
        )
        uri = f"s3://{BUCKET}/{PREFIX}"
        timed("DuckDB read_csv of every line, local folder", megabytes,
              lambda: read_in_child(str(landing), env))  # fmt: skip
        timed("DuckDB read_csv of every line, s3 (s3fs)", megabytes,
              lambda: read_in_child(uri, env))  # fmt: skip
        run_dir = BENCH_DIR / "runs"
        timed("chatwh run, local folder", megabytes,
              lambda: chatwh_run(str(landing), run_dir / "local", env))  # fmt: skip
        timed("chatwh run, s3 (s3fs)", megabytes,
              lambda: chatwh_run(uri, run_dir / "s3", env))  # fmt: skip


if __name__ == "__main__":
    main()
