{% test sessions_are_separated(model) %}
{#-
    Fails with every session that starts no more than `session_timeout_minutes` after the
    end of the same user's previous session: such sessions should have been one session.
-#}

with

ordered as (

    select
        assistant_id,
        channel,
        user_id,
        started_at,
        lag(ended_at) over (
            partition by assistant_id, channel, user_id
            order by started_at
        ) as previous_ended_at
    from {{ model }}

)

select *
from ordered
where previous_ended_at is not null
    and started_at <= {{ precise_dateadd(
        'minute', var('session_timeout_minutes'), 'previous_ended_at'
    ) }}

{% endtest %}
