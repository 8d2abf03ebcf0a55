{% macro pending_users_relation() -%}
    {#-
        raw.pending_users: the users whose raw interactions changed since the last
        successful build (new, re-loaded or erased rows), queued by the ingest asset and
        emptied by the pipeline after `dbt build` succeeds. It is bookkeeping, not data, so it
        is not a dbt source (and not an asset in the lineage graph).
    -#}
    raw.pending_users
{%- endmacro %}


{% macro is_pending_user(alias) -%}
    {#- True for the rows (of the relation aliased `alias`) of a user in raw.pending_users. -#}
    exists (
        select 1 from {{ pending_users_relation() }} as pending
        where {{ same_user('pending', alias) }}
    )
{%- endmacro %}


{% macro pending_customers_relation() -%}
    {#-
        intermediate.pending_customers: the rows customers held for the pending users when
        its incremental run began. Written by its pre-hook, dropped by its post-hook (same
        transaction): it holds user ids only while the model runs.
    -#}
    intermediate.pending_customers
{%- endmacro %}


{% macro set_aside_pending_customers(relation) -%}
    {#-
        Pre-hook of customers: on an incremental run, the pending users' rows leave the
        table, set aside in intermediate.pending_customers (found once, deleted by row id).
    -#}
    {% if is_incremental() %}
        create or replace table {{ pending_customers_relation() }} as
        select kept.rowid as row_id, kept.*
        from {{ relation }} as kept
        where {{ is_pending_user('kept') }};
        delete from {{ relation }}
        where rowid in (select row_id from {{ pending_customers_relation() }})
    {% endif %}
{%- endmacro %}


{% macro drop_pending_customers() -%}
    drop table if exists {{ pending_customers_relation() }}
{%- endmacro %}


{% macro same_user(left, right) -%}
    {#- True when the rows aliased `left` and `right` are of the same user (the three keys). -#}
    {{ left }}.assistant_id = {{ right }}.assistant_id
    and {{ left }}.channel = {{ right }}.channel
    and {{ left }}.user_id = {{ right }}.user_id
{%- endmacro %}
