"""The metrics of SPEC §2/§3 on generated histories, against tests/support/reference.py.

`test_nightly_runs_match_reference_and_rebuild`: slow, few examples. Generated interactions
are written as a landing zone (late and duplicate deliveries included), loaded day by day
through the real pipeline (`run_pipeline`, in process), then the warehouse is compared with
the reference and with a full rebuild (a fresh warehouse, one `chatwh run` over all days, in
a subprocess). The compiled models' property test is tests/dbt/test_compiled_models.py.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, seed, settings
from hypothesis import strategies as st

from orchestration.warehouse import connect
from tests.conftest import chatwh_env, run_chatwh
from tests.support.histories import (
    NEW_YORK,
    OTHERS,
    TOKYO,
    WEB_USERS,
    WHATSAPP_ASSISTANTS,
    WHATSAPP_USERS,
    ZONES,
    Question,
    bursts,
    check_warehouse,
    questions,
    utc_day,
)
from tests.support.landing_writer import LandingWriter
from tests.support.reference import Interaction, sessionize
from tests.support.support import INCREMENTAL_MARTS, mart_rows

# --------------------------------------------------------------------------- nightly runs


NIGHTLY_START = date(2025, 1, 20)  # through month ends and the spring DST changes
NIGHTLY_DAYS = 90


@dataclass(frozen=True)
class Delivery:
    number: int
    arrival: date
    file: str


@dataclass(frozen=True)
class NightlyCase:
    interactions: list[Interaction]
    deliveries: list[Delivery]
    question: Question

    @property
    def arrival_days(self) -> list[date]:
        return sorted({delivery.arrival for delivery in self.deliveries})


@st.composite
def nightly_cases(draw: st.DrawFn) -> NightlyCase:
    assistants = (TOKYO, NEW_YORK, draw(st.sampled_from(OTHERS)))
    groups = draw(st.lists(bursts(NIGHTLY_START, NIGHTLY_DAYS, assistants), min_size=3, max_size=8))
    interactions = [interaction for group in groups for interaction in group]

    # A late joiner, always: sessions a and c (more than 30 minutes apart) arrive in the first
    # run; b between them arrives in the last run and joins them into one session; d, days
    # before, arrives in the last run too and becomes the user's first session.
    assistant = draw(st.sampled_from(assistants))
    channel = draw(
        st.sampled_from(("web", "whatsapp") if assistant in WHATSAPP_ASSISTANTS else ("web",))
    )
    user = draw(st.sampled_from(WEB_USERS if channel == "web" else WHATSAPP_USERS))
    first_run = NIGHTLY_START + timedelta(days=draw(st.integers(5, NIGHTLY_DAYS - 5)))
    a = datetime.combine(first_run, time(draw(st.integers(0, 22))), UTC)
    b = a + timedelta(minutes=draw(st.integers(16, 30)))
    c = b + timedelta(minutes=draw(st.integers(16, 30)))
    d = a - timedelta(days=draw(st.integers(1, 4)), minutes=draw(st.integers(0, 600)))
    joiner = [Interaction(assistant, channel, user, moment) for moment in (a, c, b, d)]
    late_numbers = {len(interactions) + 2, len(interactions) + 3}
    interactions += joiner

    last_run = max(max(utc_day(i) for i in interactions), first_run + timedelta(days=1))
    # Two nightly runs, sometimes three (each run costs seconds of dbt).
    run_days = {first_run, last_run}
    if draw(st.integers(0, 3)) == 0:
        run_days.add(first_run + timedelta(days=draw(st.integers(1, (last_run - first_run).days))))
    run_days = sorted(run_days)

    deliveries = []
    for number, interaction in enumerate(interactions):
        possible = [day for day in run_days if day >= utc_day(interaction)]
        if number in late_numbers:
            arrival = run_days[-1]
            possible = [arrival]  # a re-delivery must not make it early
        elif number >= len(interactions) - 4:
            arrival = possible[0]
        else:
            arrival = possible[draw(st.sampled_from((0, 0, 0, -1)))]  # mostly on time
        deliveries.append(Delivery(number, arrival, "part-0"))
        if draw(st.integers(0, 4)) == 0:  # at-least-once: delivered again somewhere
            deliveries.append(
                Delivery(
                    number,
                    draw(st.sampled_from(possible)),
                    draw(st.sampled_from(("part-0", "redelivery"))),
                )
            )
    question = draw(questions(NIGHTLY_START, NIGHTLY_DAYS))
    # Each example costs pipeline runs: skip thin histories (Hypothesis tries the simplest
    # one first) before paying for them.
    assume(len({(i.assistant_id, i.channel, i.user) for i in interactions}) >= 4)
    assume({i.channel for i in interactions} == {"web", "whatsapp"})
    return NightlyCase(interactions, deliveries, question)


def _nightly_env(
    monkeypatch: pytest.MonkeyPatch, root: Path, landing: Path, warehouse: Path
) -> dict[str, str]:
    env = chatwh_env(root, CHATWH_LANDING=str(landing), CHATWH_WAREHOUSE=str(warehouse))
    for name in (
        "CHATWH_PSEUDONYM_KEY",
        "DAGSTER_HOME",
        "CHATWH_MEMORY_LIMIT",
        "CHATWH_LANDING",
        "CHATWH_WAREHOUSE",
    ):
        monkeypatch.setenv(name, env[name])
    return env


@pytest.mark.parametrize("shard", [1, 2])
def test_nightly_runs_match_reference_and_rebuild(
    shard: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.pipeline import run_pipeline

    @seed(20260100 + shard)
    @settings(
        # Five nightly histories in all, over two shards that xdist runs side by side.
        max_examples=3 if shard == 1 else 2,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=nightly_cases())
    def check(case: NightlyCase) -> None:
        root = Path(tempfile.mkdtemp(dir=tmp_path))
        landing = root / "landing"
        writer = LandingWriter(landing)
        for delivery in case.deliveries:
            writer.deliver(
                case.interactions[delivery.number],
                delivery.number,
                delivery.arrival,
                delivery.file,
            )
        writer.write()
        note(f"landing {landing}; runs {case.arrival_days}")
        sessions = sessionize(case.interactions, ZONES)

        nightly = root / "nightly.duckdb"
        env = _nightly_env(monkeypatch, root, landing, nightly)
        for day in case.arrival_days:
            outcome = run_pipeline(str(landing), nightly, day, day)
            assert outcome.success, outcome.failure
            assert outcome.audit["quarantined"] == 0
        with connect(nightly, read_only=True) as con:
            loaded, duplicates = con.execute(
                "select sum(loaded), sum(duplicates) from raw.load_audit"
            ).fetchall()[0]
            assert loaded == len(case.interactions)
            assert duplicates == len(case.deliveries) - len(case.interactions)
            check_warehouse(con, sessions, case.question, all_grains=True)
            nightly_marts = mart_rows(con, INCREMENTAL_MARTS)

        rebuilt = root / "rebuilt.duckdb"
        run_chatwh("run", "--landing", str(landing), "--warehouse", str(rebuilt), env=env)
        with connect(rebuilt, read_only=True) as con:
            # every column of every per-user mart, as one build from scratch writes it
            assert mart_rows(con, INCREMENTAL_MARTS) == nightly_marts
            check_warehouse(con, sessions, case.question, all_grains=True)

    check()
