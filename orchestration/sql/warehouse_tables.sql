-- What a DuckDB file holds, to tell a chat warehouse from an empty or a foreign database:
-- its tables in all, whether ingest made raw.load_audit, whether dbt made the marts that
-- the views read, and whether the pseudonym key's fingerprint has its table.
select
    count(*) as tables,
    count(*) filter (
        where schema_name = 'raw' and table_name = 'load_audit'
    ) > 0 as has_raw,
    count(*) filter (
        where schema_name = 'marts' and table_name = 'dim_assistants'
    ) > 0 as has_marts,
    count(*) filter (
        where schema_name = 'raw' and table_name = 'pseudonym_key'
    ) > 0 as has_key_fingerprint
from duckdb_tables()
where database_name = current_database()
