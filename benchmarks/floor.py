"""The DuckDB floor: the warehouse's whole computation as one plain DuckDB script.

Reads both channels of every arrival day, keeps the interactions, de-duplicates them,
pseudonymizes WhatsApp users, sessionizes them in each assistant's local time and writes
the session, user-day and user-month facts. No validation, no quarantine, no audit, no
orchestration: what the full pipeline is compared with.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb

from orchestration.pseudonym import hmac_pads, hmac_sql

FLOOR_SQL = f"""
create or replace table assistants as
select * from read_csv($assistants, all_varchar = true);

create or replace table interactions as
with web as (
    select json_extract_string(json, ['$.type', '$.event', '$.messageId', '$.anonymousId',
        '$.timestamp', '$.properties.assistant_id']) as f
    from read_ndjson_objects($web_files, ignore_errors = true)
),
web_interactions as (
    select f[6] as assistant_id, 'web' as channel, f[4] as user_id, f[3] as interaction_id,
        try_cast(f[5] as timestamptz) at time zone 'UTC' as occurred_at
    from web
    where f[1] = 'track' and f[2] = 'Chat Message Sent'
),
bodies as (
    select unnest(json_extract(json, '$.entry[*].changes[*].value')) as value
    from read_ndjson_objects($whatsapp_files, ignore_errors = true)
),
messages as (
    select value ->> '$.metadata.phone_number_id' as phone_number_id,
        unnest(json_extract(value, '$.messages[*]')) as message
    from bodies
),
whatsapp_interactions as (
    select a.assistant_id, 'whatsapp' as channel,
        {hmac_sql("coalesce(message ->> '$.from', message ->> '$.from_user_id')")} as user_id,
        message ->> '$.id' as interaction_id,
        make_timestamp(try_cast(message ->> '$.timestamp' as bigint) * 1000000) as occurred_at
    from messages join assistants as a on a.whatsapp_phone_number_id = messages.phone_number_id
    where message ->> '$.type' not in ('system', 'request_welcome')
)
select distinct on (interaction_id, user_id) *
from (select * from web_interactions union all select * from whatsapp_interactions)
where occurred_at is not null and assistant_id is not null and user_id is not null;

create or replace table sessions as
with flagged as (
    select *, case when occurred_at - lag(occurred_at) over w <= interval 30 minute
        then 0 else 1 end as is_start
    from interactions
    window w as (partition by assistant_id, channel, user_id order by occurred_at)
),
numbered as (
    select *, sum(is_start) over (partition by assistant_id, channel, user_id
        order by occurred_at rows unbounded preceding) as session_number
    from flagged
)
select n.assistant_id, n.channel, n.user_id, session_number,
    min(occurred_at) as started_at, count(*) as interactions,
    cast(timezone(any_value(a.timezone), timezone('UTC', min(occurred_at))) as date)
        as session_date
from numbered as n join assistants as a using (assistant_id)
group by all;

create or replace table user_days as
select assistant_id, channel, user_id, session_date, count(*) as sessions
from sessions group by all;

create or replace table user_months as
select assistant_id, channel, user_id, date_trunc('month', session_date) as month,
    count(*) as sessions
from sessions group by all;
"""


def files_until(landing: Path, channel: str, until: date) -> list[str]:
    """The channel's files of every arrival day up to ``until``."""
    return [
        str(path)
        for path in sorted(landing.glob(f"{channel}/dt=*/*.jsonl*"))
        if date.fromisoformat(path.parent.name[3:]) <= until
    ]


def run_floor(landing: Path, database: Path, key: bytes, until: date) -> float:
    """Run the floor over the arrival days up to ``until``; return the seconds."""
    database.unlink(missing_ok=True)
    pads = hmac_pads(key)
    params = {
        "assistants": str(landing / "assistants.csv"),
        "web_files": files_until(landing, "web", until),
        "whatsapp_files": files_until(landing, "whatsapp", until),
        "inner_pad": pads.inner_hex,
        "outer_pad": pads.outer_hex,
    }
    began = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        for statement in filter(str.strip, FLOOR_SQL.split(";")):
            used = {name: value for name, value in params.items() if f"${name}" in statement}
            con.execute(statement, used)
    return time.perf_counter() - began
