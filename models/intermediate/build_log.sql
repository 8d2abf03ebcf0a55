{#-
    One row per complete build and assistant: the build's stamp and the time zone it dated
    the assistant's sessions with (with no assistant there is no session, and no row). Written last (it depends on every mart), so a build
    that fails before the end leaves no row: the next build's change set
    (int_changed_users) then reads everything since the last complete one.
-#}
-- depends_on: {{ ref('customers') }}
-- depends_on: {{ ref('fct_user_days') }}
-- depends_on: {{ ref('fct_user_day_links') }}
-- depends_on: {{ ref('dashboard_monthly_users') }}
-- depends_on: {{ ref('session_chains_daily') }}
-- depends_on: {{ ref('dim_assistants') }}
with

assistants as (

    select * from {{ ref('stg_platform__assistants') }}

),

build as (

    select {{ build_stamp() }} as built_at

),

final as (

    select
        build.built_at,
        assistants.assistant_id,
        assistants.timezone
    from build
    cross join assistants

)

select * from final
