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


{% macro delete_pending_users(relation) -%}
    {#-
        Pre-hook of the models that are incremental by user: before the pending users' rows
        are rebuilt from their whole history, their old rows go.
    -#}
    {% if is_incremental() %}
        delete from {{ relation }} as kept
        where {{ is_pending_user('kept') }}
    {% endif %}
{%- endmacro %}


{% macro same_user(left, right) -%}
    {#- True when the rows aliased `left` and `right` are of the same user (the three keys). -#}
    {{ left }}.assistant_id = {{ right }}.assistant_id
    and {{ left }}.channel = {{ right }}.channel
    and {{ left }}.user_id = {{ right }}.user_id
{%- endmacro %}
