"""The landing zone's files, for the UTC period ``[start, start + days)``::

    out/assistants.csv                              copy of seeds/assistants.csv
    out/web/dt=YYYY-MM-DD/part-0.jsonl[.gz]          on-time lines, first collector
    out/web/dt=YYYY-MM-DD/part-1.jsonl[.gz]          on-time lines, second collector
    out/web/dt=YYYY-MM-DD/replay.jsonl[.gz]          late lines and re-deliveries from earlier days
    out/whatsapp/dt=YYYY-MM-DD/{part-0,part-1,replay}.jsonl[.gz]

About a quarter of the files are gzipped (chosen per file, ``gzip_share``). ``dt`` is the UTC
date a line arrived; a folder exists only when something arrived that day. Inside a file,
lines are in arrival order. gzip members carry mtime 0, so the same arguments give
byte-identical files.
"""

from __future__ import annotations

import gzip
from datetime import timedelta

import duckdb
import numpy as np

from .faults import FILE_NAMES
from .sql import run, sql
from .world import World, assistants_csv

CHANNELS = ("web", "whatsapp")


def prepare_out(world: World) -> None:
    """Make ``out`` with its assistants.csv; refuse a folder that already holds a landing zone."""
    for channel in CHANNELS:
        folder = world.out / channel
        if folder.exists() and any(folder.iterdir()):
            raise FileExistsError(
                f"{folder} already holds files: simulate into an empty folder or delete it first"
            )
    assistants, content = world.out / "assistants.csv", assistants_csv(world)
    if assistants.exists() and assistants.read_bytes() != content:
        # a user's own list of assistants is never overwritten
        raise FileExistsError(
            f"{assistants} is not the simulator's: simulate into an empty folder or delete it first"
        )
    world.out.mkdir(parents=True, exist_ok=True)
    assistants.write_bytes(content)


class Writer:
    """Holds rendered lines until their arrival day is complete, then writes that day's files."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.con = duckdb.connect()
        self.con.execute(sql("macros"))
        self.con.execute(sql("pending_create"))
        self.files = self.lines = self.bad_lines = 0

    def flush(self, first_day: int, end_day: int) -> None:
        """Write the files of arrival days ``first_day .. end_day - 1``; keep later lines only.

        Lines of a block arrive on its first day or later, so these days are complete.
        """
        if run(self.con, "pending_early", first_day=first_day).fetchone()[0]:
            raise RuntimeError("simulate: a line arrived before its block (a bug)")
        for day in range(first_day, end_day):
            self._flush_day(day)
        run(self.con, "pending_keep", end_day=end_day)

    def close(self) -> None:
        self.con.close()

    def _flush_day(self, day: int) -> None:
        result = run(self.con, "pending_files", day=day)
        while (row := result.fetchone()) is not None:
            channel, file, lines, bad, text = row
            self._write(day, channel, file, text.encode("utf-8"))
            self.files += 1
            self.lines += lines
            self.bad_lines += bad

    def _write(self, day: int, channel: int, file: int, data: bytes) -> None:
        folder = self.world.out / CHANNELS[channel] / f"dt={self.world.start + timedelta(day)}"
        folder.mkdir(parents=True, exist_ok=True)
        name = FILE_NAMES[file] + ".jsonl"
        draw = np.random.default_rng([self.world.seed, 3, channel, day, file]).random()
        if draw < self.world.params.gzip_share:
            name, data = name + ".gz", gzip.compress(data, compresslevel=1, mtime=0)
        (folder / name).write_bytes(data)
