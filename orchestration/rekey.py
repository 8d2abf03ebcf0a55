"""``chatwh rekey``: change the pseudonym key on purpose, as a full reload under the new key.

Every WhatsApp user id is an HMAC of the wa_id under CHATWH_PSEUDONYM_KEY, and so is every
erasure in ``raw.erasures`` (of both channels). A new key gives every person a new id, so
the warehouse is rebuilt from the landing zone into a new file beside it, and then put in
its place; the old file is kept beside it, never deleted. The erasures move to the new key
set-at-a-time: with the old key too, every id that the landing zone's files name is
pseudonymized under both keys, and those whose old pseudonym was erased are erased under
the new one before anything is loaded, so erased people stay erased. An erasure of a
person that no file names cannot move (the id is nowhere): the re-key stops and says so,
unless told to drop those.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .ingest import MAX_LINE_BYTES, check_landing, landing_files
from .pseudonym import hmac_pads, hmac_sql, key_fingerprint
from .settings import ConfigError
from .sql import load as load_sql
from .warehouse import (
    connect,
    ensure_raw_schema,
    guard_pseudonym_key,
    recorded_fingerprint,
    require_warehouse,
    writer_lock,
)


@dataclass(frozen=True)
class RekeyResult:
    erasures_carried: int
    erasures_dropped: int
    kept: Path  # the warehouse as it was, under the old key


def staged_path(warehouse: Path) -> Path:
    """Where the re-keyed warehouse is built before it takes the old one's place."""
    return warehouse.with_name(f"{warehouse.stem}.rekey-in-progress{warehouse.suffix}")


def kept_path(warehouse: Path) -> Path:
    """Where the warehouse under the old key is kept after a re-key."""
    return warehouse.with_name(f"{warehouse.stem}.before-rekey{warehouse.suffix}")


def _check_keys(con: duckdb.DuckDBPyConnection, old_key: bytes, new_key: bytes) -> None:
    recorded = recorded_fingerprint(con)
    if old_key == new_key:
        raise ConfigError(
            "CHATWH_OLD_PSEUDONYM_KEY and CHATWH_PSEUDONYM_KEY are the same: "
            "export the new key as CHATWH_PSEUDONYM_KEY"
        )
    if recorded == key_fingerprint(new_key):
        raise ConfigError("the warehouse already uses CHATWH_PSEUDONYM_KEY: nothing to change")
    if recorded is not None and recorded != key_fingerprint(old_key):
        raise ConfigError(
            "CHATWH_OLD_PSEUDONYM_KEY is not the key the warehouse was built with: "
            "export that key as CHATWH_OLD_PSEUDONYM_KEY"
        )


def _remove(path: Path) -> None:
    """Remove a file that the re-key made itself (the staged warehouse and its side files)."""
    for suffix in ("", ".wal", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _carry_erasures(
    con: duckdb.DuckDBPyConnection, landing: str, old_key: bytes, new_key: bytes
) -> tuple[int, int]:
    """Erase under the new key, in the staged warehouse (``con``, the old one attached as
    ``old``), every erased person whom the landing zone names; (carried, not found)."""
    con.execute("create temp table rekey_ids (channel varchar, id varchar)")
    for channel in ("web", "whatsapp"):
        files = landing_files(con, landing, channel)
        if files:
            con.execute(
                load_sql("rekey_ids"),
                {"channel": channel, "files": files, "max_bytes": MAX_LINE_BYTES},
            )
    mapping = load_sql("rekey_erasures").format(
        old_pseudonym=hmac_sql("id", pads="old_"), new_pseudonym=hmac_sql("id")
    )
    con.execute(mapping, {**hmac_pads(old_key).params("old_"), **hmac_pads(new_key).params()})
    con.execute(
        "insert into raw.erasures (channel, user_id, erased_at) "
        "select distinct channel, new_user_id, erased_at "
        "from carried_erasures where new_user_id is not null"
    )
    return con.execute(
        "select count(distinct (channel, old_user_id)) filter (where new_user_id is not null), "
        "count(*) filter (where new_user_id is null) from carried_erasures"
    ).fetchall()[0]


def rekey(
    landing: str,
    warehouse: Path,
    old_key: bytes,
    new_key: bytes,
    drop_unmatched: bool,
    reload: Callable[[Path], bool],
) -> RekeyResult:
    """Rebuild ``warehouse`` from ``landing`` under ``new_key``, carrying its erasures.

    ``reload(path)`` runs the pipeline on the staged file (every arrival day) and says
    whether it succeeded; the old warehouse is not changed until it has.
    """
    require_warehouse(warehouse)
    check_landing(landing)
    staged, kept = staged_path(warehouse), kept_path(warehouse)
    if kept.exists():
        raise ConfigError(f"{kept} exists (an earlier re-key kept it): move it away first")
    with writer_lock(warehouse):  # nothing writes to the old warehouse meanwhile
        with connect(warehouse, read_only=True) as con:
            _check_keys(con, old_key, new_key)
        _remove(staged)  # left by a re-key that failed: the old warehouse was never touched
        with connect(staged) as con:
            ensure_raw_schema(con)
            guard_pseudonym_key(con, new_key, staged)
            quoted = str(warehouse).replace("'", "''")  # ATTACH takes no bound path
            con.execute(f"attach '{quoted}' as old (read_only)")
            carried, unmatched = _carry_erasures(con, landing, old_key, new_key)
        if unmatched and not drop_unmatched:
            _remove(staged)
            raise ConfigError(
                f"{unmatched} erasures name people that no file of the landing zone holds, so "
                "they cannot move to the new key: re-key with --drop-unmatched-erasures, then "
                "`chatwh forget` those people again if you still have their ids"
            )
        if not reload(staged):
            raise RuntimeError(
                f"the reload under the new key failed; {warehouse} is unchanged under the "
                "old key: fix the cause and run `chatwh rekey` again"
            )
        for suffix in ("", ".wal"):  # the old file with its write-ahead log, if it has one
            if Path(f"{warehouse}{suffix}").exists():
                os.replace(f"{warehouse}{suffix}", f"{kept}{suffix}")
        os.replace(staged, warehouse)
        _remove(staged)
    return RekeyResult(carried, unmatched, kept)
