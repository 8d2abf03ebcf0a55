{%- set this_month = dbt.cast(dbt.date_trunc('month', dbt.current_timestamp()), 'date') %}

with

user_months as (

    select * from {{ ref('fct_user_months') }}

),

assistants as (

    select * from {{ ref('stg_platform__assistants') }}

),

bounds as (

    select
        coalesce(min(activity_month), {{ this_month }}) as first_month,
        greatest(
            coalesce(max(activity_month), {{ this_month }}),
            {{ this_month }}
        ) as last_month
    from user_months

),

months as (

    select {{ month_starts('first_month', 'last_month') }} as date_month
    from bounds

),

monthly_users as (

    select
        assistant_id,
        activity_month,
        count(*) as users
    from user_months
    group by assistant_id, activity_month

),

assistant_months as (

    select
        assistants.assistant_id,
        cast(months.date_month as date) as month_start_date,
        coalesce(monthly_users.users, 0) as users
    from assistants
    cross join months
    left join monthly_users
        on
            assistants.assistant_id = monthly_users.assistant_id
            and cast(months.date_month as date) = monthly_users.activity_month

),

compared as (

    select
        *,
        coalesce(
            lag(users) over (partition by assistant_id order by month_start_date), 0
        ) as previous_month_users
    from assistant_months

),

final as (

    select
        assistant_id,
        month_start_date,
        {{ month_label('month_start_date') }} as month,
        users,
        previous_month_users,
        {{ month_over_month('users', 'previous_month_users') }}
    from compared

)

select * from final
