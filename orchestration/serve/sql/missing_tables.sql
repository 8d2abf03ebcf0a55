-- The serving marts that the warehouse does not hold (bound: the list of their names).
select wanted.table_name
from unnest($serving_tables) as wanted (table_name)
where not exists (
    select 1 from duckdb_tables() as t
    where t.database_name = current_database()
        and t.schema_name = 'marts'
        and t.table_name = wanted.table_name
)
order by wanted.table_name;
