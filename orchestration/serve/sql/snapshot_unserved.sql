-- What the copied catalog holds beyond the serving marts (bound: the list of their names),
-- to drop: (kind, schema, name), the name null for a schema.
select 'schema' as kind, schema_name, null as object_name
from duckdb_schemas()
where database_name = 'serving_snapshot'
    and not internal
    and schema_name not in ('main', 'marts')
union all
select 'table' as kind, schema_name, table_name as object_name
from duckdb_tables()
where database_name = 'serving_snapshot'
    and schema_name = 'marts'
    and not list_contains($serving_tables, table_name)
union all
select 'view' as kind, schema_name, view_name as object_name
from duckdb_views()
where database_name = 'serving_snapshot'
    and schema_name = 'marts'
    and not internal
order by kind, schema_name, object_name;
