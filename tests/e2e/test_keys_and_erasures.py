"""The warehouse keeps its pseudonym key's fingerprint, refuses another key, and changes
keys only through `chatwh rekey`, which keeps every erasure; `chatwh forget` refuses a
malformed WhatsApp id and says when nobody matched, and the erasure still keeps that person
out of later loads (issue 17, items 5 and 6).

A small landing zone written by tests/support/landing_writer.py, the real `chatwh` in subprocesses.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.pseudonym import key_fingerprint, pseudonymize
from tests.conftest import TEST_KEY, Deployment, chatwh_env, make_deployment, run_chatwh
from tests.support.landing_writer import LandingWriter
from tests.support.reference import Interaction
from tests.support.support import assert_one_line_error, build_once

ACME = "acme-support"
NEW_KEY = "another-test-key-also-not-secret"
ERASED_WA_ID = "34611111111"  # in the landing zone: erased before the re-key
ERASED_WEB_ID = "anon-erased"
KEPT_WA_ID = "34622222222"
NOBODY_WA_ID = "34633333333"  # in no file


def history() -> list[Interaction]:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    people = [
        ("whatsapp", ERASED_WA_ID),
        ("web", ERASED_WEB_ID),
        ("whatsapp", KEPT_WA_ID),
        ("web", "anon-kept"),
    ]
    return [
        Interaction(ACME, channel, user, start + timedelta(days=day, hours=number))
        for day in range(3)
        for number, (channel, user) in enumerate(people)
    ]


def _build(root: Path) -> None:
    deployment = make_deployment(root)
    writer = LandingWriter(deployment.landing)
    writer.deliver_all(history())
    writer.write()
    deployment.run()


@pytest.fixture
def deployment(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Deployment:
    """The history above, loaded once per session under TEST_KEY; each test its own copy."""
    built = build_once(tmp_path_factory, "pseudonym_key", _build)
    copy = make_deployment(tmp_path)
    shutil.copytree(built / "landing", copy.landing)
    shutil.copyfile(built / "warehouse.duckdb", copy.warehouse)
    return copy


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def with_keys(deployment: Deployment, **keys: str) -> Deployment:
    return Deployment(
        deployment.root, deployment.landing, deployment.warehouse, {**deployment.env, **keys}
    )


def test_another_key_is_refused_and_changes_nothing(deployment: Deployment) -> None:
    [(fingerprint,)] = deployment.query("select fingerprint from raw.pseudonym_key")
    assert fingerprint == key_fingerprint(TEST_KEY.encode())
    assert TEST_KEY not in fingerprint
    before = digest(deployment.warehouse)

    other = with_keys(deployment, CHATWH_PSEUDONYM_KEY=NEW_KEY)
    for result in (
        other.run("--date", "2026-01-06", check=False),
        other.chatwh("forget", "--wa-id", KEPT_WA_ID, check=False),
    ):
        assert_one_line_error(result, "CHATWH_PSEUDONYM_KEY", "chatwh rekey")
    assert digest(deployment.warehouse) == before


def test_rekey_reloads_under_the_new_key_and_keeps_the_erasures(deployment: Deployment) -> None:
    deployment.chatwh("forget", "--wa-id", f"+{ERASED_WA_ID}")
    deployment.chatwh("forget", "--anonymous-id", ERASED_WEB_ID)
    customers = deployment.query(
        "select channel, count(*) from marts.customers group by all order by all"
    )
    assert customers == [("web", 1), ("whatsapp", 1)]

    rekey = with_keys(deployment, CHATWH_OLD_PSEUDONYM_KEY=TEST_KEY, CHATWH_PSEUDONYM_KEY=NEW_KEY)
    rekey.chatwh("rekey")

    old, new = TEST_KEY.encode(), NEW_KEY.encode()
    assert deployment.query("select fingerprint from raw.pseudonym_key") == [
        (key_fingerprint(new),)
    ]
    assert sorted(deployment.query("select channel, user_id from raw.erasures")) == [
        ("web", pseudonymize(new, ERASED_WEB_ID)),
        ("whatsapp", pseudonymize(new, ERASED_WA_ID)),
    ]
    # the same people as before, now under the new key; the erased ones nowhere
    assert deployment.query("select channel, user_id from marts.customers order by all") == [
        ("web", "anon-kept"),
        ("whatsapp", pseudonymize(new, KEPT_WA_ID)),
    ]
    for erased in (pseudonymize(new, ERASED_WA_ID), pseudonymize(old, ERASED_WA_ID)):
        assert deployment.query(
            "select count(*) from raw.whatsapp_messages where user_id = ?", [erased]
        ) == [(0,)]
    assert deployment.query(
        "select count(*) from raw.web_events where anonymous_id = ?", [ERASED_WEB_ID]
    ) == [(0,)]
    assert deployment.query("select sum(erased) from raw.load_audit") == [(6,)]
    kept = deployment.warehouse.with_name("warehouse.before-rekey.duckdb")
    assert kept.is_file()  # the warehouse under the old key, never deleted

    # from now on the new key is the warehouse's, and the old one is refused
    assert_one_line_error(deployment.run("--date", "2026-01-06", check=False), "chatwh rekey")
    rekey.run("--date", "2026-01-06")


def test_rekey_stops_when_an_erasure_names_nobody_in_the_landing_zone(
    deployment: Deployment,
) -> None:
    deployment.chatwh("forget", "--wa-id", NOBODY_WA_ID)
    before = digest(deployment.warehouse)
    rekey = with_keys(deployment, CHATWH_OLD_PSEUDONYM_KEY=TEST_KEY, CHATWH_PSEUDONYM_KEY=NEW_KEY)
    result = rekey.chatwh("rekey", check=False)
    assert_one_line_error(result, "1 erasures", "--drop-unmatched-erasures")
    assert digest(deployment.warehouse) == before
    assert sorted(path.name for path in deployment.root.glob("warehouse*")) == [
        "warehouse.duckdb",
        "warehouse.duckdb.lock",
    ]  # the staged warehouse removed

    wrong_old = with_keys(
        deployment, CHATWH_OLD_PSEUDONYM_KEY="wrong", CHATWH_PSEUDONYM_KEY=NEW_KEY
    )
    assert_one_line_error(wrong_old.chatwh("rekey", check=False), "CHATWH_OLD_PSEUDONYM_KEY")
    assert digest(deployment.warehouse) == before


@pytest.mark.parametrize(
    "wa_id", ["+34-600", "abc", "0034600000000", "1234567890123456", "34 600 12a 456", " "]
)
def test_forget_refuses_a_malformed_whatsapp_id(tmp_path: Path, wa_id: str) -> None:
    env = chatwh_env(tmp_path, CHATWH_WAREHOUSE=str(tmp_path / "warehouse.duckdb"))
    result = run_chatwh("forget", "--wa-id", wa_id, env=env, check=False)
    line = assert_one_line_error(result, "not a WhatsApp id", "country code", "7 to 15 digits")
    assert not wa_id.strip() or wa_id not in line  # the (partial) phone number is not repeated
    assert list(tmp_path.iterdir()) == []


def test_forget_of_nobody_says_so_and_keeps_them_out_of_later_loads(
    deployment: Deployment,
) -> None:
    result = deployment.chatwh("forget", "--wa-id", f"+{NOBODY_WA_ID[:2]} {NOBODY_WA_ID[2:]}")
    assert result.stdout.startswith("nobody matched"), result.stdout
    assert "erased one" not in result.stdout and NOBODY_WA_ID not in result.stdout
    assert "later loads skip this person" in result.stdout

    # the person's first messages arrive after the erasure
    writer = LandingWriter(deployment.landing)
    later = datetime(2026, 1, 8, 10, tzinfo=UTC)
    writer.deliver_all(
        [
            Interaction(ACME, "whatsapp", NOBODY_WA_ID, later),
            Interaction(ACME, "whatsapp", NOBODY_WA_ID, later + timedelta(hours=2)),
            Interaction(ACME, "whatsapp", KEPT_WA_ID, later),
        ],
        file="later",
    )
    writer.write()
    deployment.run("--date", "2026-01-08")

    nobody = pseudonymize(TEST_KEY.encode(), NOBODY_WA_ID)
    kept = pseudonymize(TEST_KEY.encode(), KEPT_WA_ID)
    for table in ("raw.whatsapp_messages", "marts.customers", "marts.fct_sessions"):
        assert deployment.query(f"select count(*) from {table} where user_id = ?", [nobody]) == [
            (0,)
        ], table
    assert deployment.query(
        "select max(last_seen_at)::date from marts.customers where user_id = ?", [kept]
    ) == [(later.date(),)]
    assert deployment.query(
        "select sum(erased) from raw.load_audit where arrival_date = date '2026-01-08'"
    ) == [(2,)]
