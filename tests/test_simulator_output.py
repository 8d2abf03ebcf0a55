"""The simulator's output pinned byte for byte, and its presets' shapes.

The checksum was computed from the simulator before it became its own package: a refactor
that changes one byte of a landing zone (a path, a line, a gzip member) fails here.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from orchestration.simulate import simulate

# `chatwh simulate` defaults (seed 42, a quarter of the files gzipped) on a small zone.
PINNED = {"start": date(2026, 1, 1), "days": 6, "users": 300}
PINNED_SHA256 = "87c8a075d4e3d601d3857bd6f7962a106ea9a5bd511c35d71704165a436eaa25"


def landing_digest(root: Path) -> str:
    """sha-256 over every file's relative path and bytes, in path order.

    gzip members are written with mtime 0 (``gzip.compress(..., mtime=0)``), so the bytes
    of a file do not depend on when it was written.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def test_default_output_is_pinned(tmp_path: Path) -> None:
    summary = simulate(tmp_path, **PINNED)
    names = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert any(n.endswith(".jsonl.gz") for n in names) and any(n.endswith(".jsonl") for n in names)
    assert summary.files == len(names) - 1  # and assistants.csv
    assert landing_digest(tmp_path) == PINNED_SHA256
