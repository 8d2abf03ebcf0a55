{#-
    Sessions of every user: its interactions in time order, split wherever two consecutive
    ones are more than `session_timeout_minutes` apart (strictly more), each dated by the
    local date of its first interaction (`session_date`, `session_month`).

    Incremental from a restart date: a nightly run rewrites every session dated from the
    first local date the change set can alter on (int_restart_point), for all users
    (delete+insert of those days; on Spark, of those months: see dbt_project.yml). The
    earlier sessions keep every interaction and boundary; of the interactions from a day
    before that date on, those of a user's last earlier session (it may end inside the
    rewritten days) are left out, and the others are sessionized again: the first of them
    starts a session.
-#}
{{ config(incremental_predicates=[rewritten_partitions('session_date')]) }}
{%- set rewrite_from_date = rewrite_from() %}

with

interactions as (

    select * from {{ ref('int_interactions_unioned') }}

),

assistants as (

    select * from {{ ref('stg_platform__assistants') }}

),

{% if is_incremental() %}
-- no zone is a day ahead of UTC: a session dated on that date or later starts after this
{%- set read_from = dbt.dateadd('day', -1, dbt.cast(rewrite_from_date, dbt.type_timestamp())) %}

kept_ends as (

    -- each user's last session before the rewritten days, where it reaches into them
    select
        assistant_id,
        channel,
        user_id,
        max(ended_at) as kept_until
    from {{ this }}
    where session_date < {{ rewrite_from_date }} and ended_at >= {{ read_from }}
    group by assistant_id, channel, user_id

),

{% endif %}
interactions_to_sessionize as (

    select
        interactions.assistant_id,
        interactions.channel,
        interactions.user_id,
        interactions.interaction_id,
        interactions.occurred_at,
        assistants.timezone
    from interactions
    inner join assistants
        on interactions.assistant_id = assistants.assistant_id
    {% if is_incremental() %}
        left join kept_ends
            on interactions.assistant_id = kept_ends.assistant_id
            and interactions.channel = kept_ends.channel
            and interactions.user_id = kept_ends.user_id
        where
            interactions.occurred_at >= {{ read_from }}
            and (kept_ends.kept_until is null or interactions.occurred_at > kept_ends.kept_until)
    {% endif %}

),

with_previous as (

    select
        *,
        lag(occurred_at) over (
            partition by assistant_id, channel, user_id
            order by occurred_at, interaction_id
        ) as previous_occurred_at
    from interactions_to_sessionize

),

flagged as (

    select
        *,
        case
            when previous_occurred_at is null then 1
            when occurred_at > {{ precise_dateadd(
                'minute', var('session_timeout_minutes'), 'previous_occurred_at'
            ) }} then 1
            else 0
        end as is_session_start
    from with_previous

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by assistant_id, channel, user_id
            order by occurred_at, interaction_id
            rows between unbounded preceding and current row
        ) as user_session_number
    from flagged

),

sessions as (

    select
        assistant_id,
        channel,
        user_id,
        min(timezone) as timezone,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as interaction_count
    from numbered
    group by assistant_id, channel, user_id, user_session_number

),

dated as (

    select
        *,
        {{ local_date('started_at', 'timezone') }} as session_date
    from sessions

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'assistant_id', "'|'", 'channel', "'|'", 'user_id', "'|'",
            dbt.cast('started_at', dbt.type_string())
        ])) }} as session_id,
        assistant_id,
        channel,
        user_id,
        started_at,
        ended_at,
        interaction_count,
        session_date,
        {{ dbt.date_trunc('month', 'session_date') }} as session_month,
        {{ build_stamp() }} as built_at
    from dated

)

select * from final
-- in time order: a nightly's scans of the last months then skip the older row groups
order by started_at
