{% test valid_timezone(model, column_name) %}
{#- Fails with every value that is not an IANA time zone name the engine knows. -#}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and not ({{ known_timezone(column_name) }})

{% endtest %}
