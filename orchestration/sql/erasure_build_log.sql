-- `chatwh forget`: whether dbt has built the warehouse file on DuckDB (its build_log is
-- there), so that the erasure is followed by a rebuild there.
select count(*) > 0 as built
from information_schema.tables
where table_name = 'build_log'
