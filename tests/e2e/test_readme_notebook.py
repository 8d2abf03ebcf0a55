"""The README's notebook example runs, line by line as a notebook runs it, on a real warehouse."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pandas as pd

from tests.conftest import Deployment

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    text = README.read_text()
    section = text.split("<!-- notebook-example:start -->")[1].split(
        "<!-- notebook-example:end -->"
    )[0]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return code


def shown(code: str) -> list[Any]:
    """Run ``code`` statement by statement; the value of every bare expression is what a
    notebook shows when that line ends a cell."""
    namespace: dict[str, Any] = {}
    values = []
    for statement in ast.parse(code).body:
        if isinstance(statement, ast.Expr):
            expression = compile(ast.Expression(statement.value), "README.md", "eval")
            values.append(eval(expression, namespace))
        else:
            exec(compile(ast.Module([statement], type_ignores=[]), "README.md", "exec"), namespace)
    return values


def test_the_example_has_five_lines() -> None:
    assert len([line for line in readme_example().splitlines() if line.strip()]) == 5


def test_the_example_runs_and_shows_numbers(simulated: Deployment, monkeypatch) -> None:
    monkeypatch.setenv("CHATWH_WAREHOUSE", str(simulated.warehouse))  # chatwh.open()'s default
    values = shown(readme_example())
    assert values, "the example shows nothing"
    for value in values:
        if isinstance(value, dict):  # a view: it has users in the simulated window
            assert value["total_users"] > 0
        else:
            assert isinstance(value, pd.DataFrame | pd.Series) and len(value) > 0
