{% test rewritten_rows_are_current(model, column_name, grain='day') %}
{#-
    Fails with every row dated (`column_name`) in the days (or months, `grain='month'`) the
    build rewrote that the build did not write (its `built_at` older than the table's
    newest). On Spark, whose
    insert_overwrite replaces only the partitions the new rows hold, a partition that the
    rebuild leaves empty (its only sessions erased, or joined into an earlier day's) keeps
    its old rows: this test finds them, and a `--full-refresh` build clears them.
-#}

select {{ column_name }}, built_at
from {{ model }}
where {{ rewritten_partitions(column_name, grain) }}
    and built_at < (select max(built_at) from {{ model }})

{% endtest %}
