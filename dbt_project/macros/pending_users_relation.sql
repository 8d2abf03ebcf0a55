{% macro pending_users_relation() -%}
    {#-
        raw.pending_users: the users whose raw interactions changed since the last
        successful build (new, re-loaded or erased rows), queued by the ingest asset and
        emptied by the pipeline after `dbt build` succeeds. It is bookkeeping, not data, so it
        is not a dbt source (and not an asset in the lineage graph).
    -#}
    raw.pending_users
{%- endmacro %}
