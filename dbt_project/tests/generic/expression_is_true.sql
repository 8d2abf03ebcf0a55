{% test expression_is_true(model, expression, column_name=none) %}
{#-
    Fails with every row for which the boolean SQL expression is false or null. On a column,
    the expression is about that column (it is not prepended to the expression).
-#}

select *
from {{ model }}
where ({{ expression }}) is not true

{% endtest %}
