"""The README's command-line block runs as printed (issue 17, item 8).

Each `chatwh ...` line of the block under "The command line" runs in a shell, in a temp
folder that holds the landing zone and warehouse the lines name (`data/landing`,
`data/warehouse.duckdb`, also set as CHATWH_LANDING and CHATWH_WAREHOUSE), with the
project's `.venv/bin` first on PATH, as after `source .venv/bin/activate`; each must exit 0.
The SQL section's Python one-liner runs the same way, with `.venv` linked into the folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import chatwh_env

PROJECT_DIR = Path(__file__).resolve().parents[2]
README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
VENV_BIN = Path(sys.executable).parent


def block_after(heading: str) -> list[str]:
    """The lines of the first ```bash block after a heading."""
    section = README[README.index(heading) :]
    match = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert match, heading
    return match.group(1).splitlines()


def shell(line: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line], cwd=folder, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_command_line_block_runs_as_printed(tmp_path: Path) -> None:
    lines = [line for line in block_after("### The command line") if line.startswith("chatwh ")]
    assert len(lines) >= 8 and lines[0].startswith("chatwh simulate --out data/landing")
    env = chatwh_env(
        tmp_path,
        CHATWH_LANDING=str(tmp_path / "data" / "landing"),
        CHATWH_WAREHOUSE=str(tmp_path / "data" / "warehouse.duckdb"),
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
    )
    for line in lines:
        completed = shell(line, tmp_path, env)
        assert completed.returncode == 0, (line, completed.stdout[-2000:], completed.stderr)
    assert (tmp_path / "report.html").is_file()

    (one_liner,) = [line for line in README.splitlines() if line.startswith(".venv/bin/python -c ")]
    (tmp_path / ".venv").symlink_to(VENV_BIN.parent)
    completed = shell(one_liner, tmp_path, env)
    assert completed.returncode == 0, completed.stderr
    assert "acme-support" in completed.stdout
