{% test valid_timezone(model, column_name) %}
{#- Fails with every value that is not an IANA time zone name known to DuckDB (ICU). -#}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (select name from pg_timezone_names())

{% endtest %}
