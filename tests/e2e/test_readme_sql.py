"""Every SQL example of the README runs against a real warehouse and returns rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Deployment

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_examples() -> list[str]:
    text = README.read_text()
    section = text.split("<!-- sql-examples:start -->")[1].split("<!-- sql-examples:end -->")[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_readme_has_about_ten_examples() -> None:
    assert len(readme_examples()) >= 10


@pytest.mark.parametrize("example", readme_examples(), ids=lambda sql: sql.split("\n")[0][3:40])
def test_readme_example_runs(simulated: Deployment, example: str) -> None:
    rows = simulated.query(example)
    assert rows, f"no rows from:\n{example}"
