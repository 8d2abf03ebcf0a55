{#-
    Counts of chains of consecutive sessions of one user, by the local dates of the chain's
    first and last session: chain_length 1 = single sessions (S), 2 = pairs of a session and
    the user's previous one (P), 3 = a session and the user's second previous one (T).

    For a window [from, to], summing the chains that lie wholly inside it gives
        total users     = S - P
        recurring users = P - T
    because a user with k sessions in the window has k of them, k - 1 pairs and k - 2 triples
    inside it (a user's sessions in a window are consecutive in its history). The table has
    at most one row per assistant, channel and pair of dates, whatever the number of users.

    A chain belongs to the day of its last session (`last_date`): it depends on that
    session's row of fct_sessions only. Incremental from a restart date (dbt_project.yml):
    a nightly run recounts the chains ending on the days from `int_restart_point` on.
-#}
{{ config(incremental_predicates=[rewritten_partitions('last_date')]) }}
{%- set rewrite_from_date = rewrite_from() %}

with

all_sessions as (

    select * from {{ ref('fct_sessions') }}

),

sessions as (

    select * from all_sessions
    {% if is_incremental() %}
        where session_date >= {{ rewrite_from_date }}
    {% endif %}

),

chains as (

    select
        assistant_id,
        channel,
        1 as chain_length,
        session_date as first_date,
        session_date as last_date
    from sessions

    union all

    select
        assistant_id,
        channel,
        2 as chain_length,
        previous_session_date as first_date,
        session_date as last_date
    from sessions
    where previous_session_date is not null

    union all

    select
        assistant_id,
        channel,
        3 as chain_length,
        second_previous_session_date as first_date,
        session_date as last_date
    from sessions
    where second_previous_session_date is not null

),

final as (

    select
        assistant_id,
        channel,
        chain_length,
        first_date,
        last_date,
        {{ dbt.cast('count(*)', dbt.type_bigint()) }} as chains,
        {{ build_stamp() }} as built_at
    from chains
    group by assistant_id, channel, chain_length, first_date, last_date

)

select * from final
order by last_date, assistant_id, channel, chain_length, first_date
