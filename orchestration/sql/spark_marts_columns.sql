-- The marts' tables of the copied catalog (orchestration/spark_marts.py), each column with
-- its DuckDB type, in the table's order: the types its view of Spark's Parquet casts to.
select
    c.table_name,
    c.column_name,
    c.data_type
from information_schema.columns as c
inner join information_schema.tables as t
    on
        c.table_catalog = t.table_catalog
        and c.table_schema = t.table_schema
        and c.table_name = t.table_name
where
    c.table_catalog = 'memory'
    and c.table_schema = 'marts'
    and t.table_type = 'BASE TABLE'
order by c.table_name, c.ordinal_position
