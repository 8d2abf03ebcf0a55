{#-
    Counts of chains of consecutive sessions of one user, by the local dates of the chain's
    first and last session: chain_length 1 = single sessions (S), 2 = pairs of a session and
    the user's next one (P), 3 = a session and the user's next-but-one (T).

    For a window [from, to], summing the chains that lie wholly inside it gives
        total users     = S - P
        recurring users = P - T
    because a user with k sessions in the window has k of them, k - 1 pairs and k - 2 triples
    inside it (a user's sessions in a window are consecutive in its history). The table has
    at most one row per assistant, channel and pair of dates, whatever the number of users.
-#}
with

sessions as (

    select * from {{ ref('fct_sessions') }}

),

chains as (

    select
        assistant_id,
        channel,
        session_date as first_date,
        session_date as last_date,
        1 as chain_length
    from sessions

    union all

    select
        assistant_id,
        channel,
        session_date as first_date,
        next_session_date as last_date,
        2 as chain_length
    from sessions
    where next_session_date is not null

    union all

    select
        assistant_id,
        channel,
        session_date as first_date,
        second_next_session_date as last_date,
        3 as chain_length
    from sessions
    where second_next_session_date is not null

),

final as (

    select
        assistant_id,
        channel,
        chain_length,
        first_date,
        last_date,
        count(*) as chains
    from chains
    group by assistant_id, channel, chain_length, first_date, last_date

)

select * from final
order by assistant_id, channel, chain_length, first_date, last_date
