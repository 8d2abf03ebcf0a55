{#-
    The change set: what raw holds that the previous complete build (the newest row of
    `build_log`) did not see, one row per change, with the earliest time it can alter
    (`changed_from`):
    - each user with interactions loaded since: their earliest such interaction;
    - each erasure since: the erased person's earliest deleted interaction (no user key:
      the person's rows are gone from raw);
    - each arrival day loaded again since: the earliest interaction the reload deleted;
    - each assistant whose time zone changed, or that joined or left the list: no
      `changed_from` (every local date of its sessions may move: from the beginning).
    A build that fails leaves `build_log` as it was, so the next build reads the same
    changes again, and more.
-#}
{%- set log = previous_state('build_log') %}
{%- set loaded_after = last_build_stamp() %}

with

interactions as (

    select * from {{ ref('int_interactions_unioned') }}

),

assistants as (

    select * from {{ ref('stg_platform__assistants') }}

),

erasures as (

    select * from {{ source('platform', 'erasures') }}

),

reloads as (

    select * from {{ source('platform', 'reloads') }}

),

last_build as (

    {% if log -%}
        select max(built_at) as built_at from {{ log }}
    {%- else -%}
        select {{ dbt.cast("'1900-01-01'", dbt.type_timestamp()) }} as built_at
    {%- endif %}

),

previous_assistants as (

    {% if log -%}
        select
            logged.assistant_id,
            logged.timezone
        from {{ log }} as logged
        inner join last_build on logged.built_at = last_build.built_at
    {%- else -%}
        select
            assistant_id,
            timezone
        from assistants
        where false
    {%- endif %}

),

loaded as (

    select
        interactions.assistant_id,
        interactions.channel,
        interactions.user_id,
        min(interactions.occurred_at) as changed_from
    from interactions
    where interactions.loaded_at > {{ loaded_after }}
    group by interactions.assistant_id, interactions.channel, interactions.user_id

),

deletions as (

    -- rows deleted from raw: a person's (erasures) and a day's (reloads)
    select
        channel,
        erased_from as deleted_from,
        erased_at as deleted_at
    from erasures
    where erased_from is not null

    union all

    select
        channel,
        replaced_from as deleted_from,
        reloaded_at as deleted_at
    from reloads

),

deleted as (

    select
        cast(null as {{ dbt.type_string() }}) as assistant_id,
        deletions.channel,
        cast(null as {{ dbt.type_string() }}) as user_id,
        deletions.deleted_from as changed_from
    from deletions
    cross join last_build
    where deletions.deleted_at > last_build.built_at

),

moved as (

    -- an assistant whose time zone differs from the previous build's, or that is new or gone
    select
        coalesce(assistants.assistant_id, previous_assistants.assistant_id) as assistant_id,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as user_id,
        cast(null as {{ dbt.type_timestamp() }}) as changed_from
    from assistants
    full outer join previous_assistants
        on assistants.assistant_id = previous_assistants.assistant_id
    where
        assistants.timezone is distinct from previous_assistants.timezone
        {%- if not log %}
            and false
        {%- endif %}

),

final as (

    select * from loaded
    union all
    select * from deleted
    union all
    select * from moved

)

select * from final
