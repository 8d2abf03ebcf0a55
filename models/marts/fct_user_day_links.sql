{#-
    One row per user and local day with sessions (the rows of fct_user_days), with the
    user's previous and next day of activity on that assistant and channel. The serving
    snapshot counts them without the user (`user_day_links`), and the Customers view sums
    those counts: a user is active in a bucket once, on the row whose previous day is
    before the bucket; a user has one session in the window when a row of one session
    has its previous day before the window and its next day after it.

    Incremental from a restart date (dbt_project.yml): a row's previous day depends on
    the user's earlier days only, but its next day on the later ones. So a nightly run
    rewrites the days from `int_restart_point` on and, of every user with a day from then
    on (before or after this build), the last day before it, whose next day may change.
    That row keeps its previous day. The delete takes the same rows out first (the
    incremental predicate): the days from the restart on, the rows whose next day is from
    then on (the old last days), and the last days of users who had none after them and
    now have one.
-#}
{%- set user_days_relation = unreffed_relation('marts', 'fct_user_days') %}
{%- set rewritten = rewritten_partitions('activity_date') %}
{{ config(incremental_predicates=[
    '(' ~ rewritten
    ~ ' or ' ~ rewritten_partitions('next_day')
    ~ ' or (next_day is null and (assistant_id, channel, user_id) in (select assistant_id,'
    ~ ' channel, user_id from ' ~ user_days_relation ~ ' where ' ~ rewritten ~ ')))'
]) }}
{%- set rewrite_from_date = rewrite_from() %}

with

user_days as (

    select * from {{ ref('fct_user_days') }}

),

rewritten_days as (

    select
        assistant_id,
        channel,
        user_id,
        activity_date,
        sessions = 1 as one_session,
        {{ dbt.cast('null', 'date') }} as kept_previous_day,
        false as is_kept
    from user_days
    {% if is_incremental() %}
        where activity_date >= {{ rewrite_from_date }}
    {% endif %}

),

{% if is_incremental() %}
rewritten_users as (

    -- users with a day from the restart on, after this build or before it
    select
        assistant_id,
        channel,
        user_id
    from rewritten_days

    union

    select
        assistant_id,
        channel,
        user_id
    from {{ this }}
    where next_day >= {{ rewrite_from_date }}

),

last_kept_days as (

    -- each such user's last day before the restart, with the previous day it has
    select
        kept.assistant_id,
        kept.channel,
        kept.user_id,
        kept.activity_date,
        kept.one_session,
        kept.previous_day as kept_previous_day,
        true as is_kept
    from {{ this }} as kept
    inner join rewritten_users
        on kept.assistant_id = rewritten_users.assistant_id
        and kept.channel = rewritten_users.channel
        and kept.user_id = rewritten_users.user_id
    where
        kept.activity_date < {{ rewrite_from_date }}
        and (kept.next_day is null or kept.next_day >= {{ rewrite_from_date }})

),

{% endif %}
days as (

    select * from rewritten_days
    {% if is_incremental() %}
        union all
        select * from last_kept_days
    {% endif %}

),

final as (

    select
        assistant_id,
        channel,
        user_id,
        activity_date,
        one_session,
        case
            when is_kept then kept_previous_day
            else lag(activity_date) over user_history
        end as previous_day,
        lead(activity_date) over user_history as next_day,
        {{ build_stamp() }} as built_at
    from days
    window user_history as (
        partition by assistant_id, channel, user_id
        order by activity_date
    )

)

select * from final
-- in time order: a nightly's scans of the last days then skip the older row groups
order by activity_date
