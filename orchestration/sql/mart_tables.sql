-- The tables and views of the marts schema, the only relations chatwh.Warehouse.table reads.
select table_name
from information_schema.tables
where table_catalog = current_database() and table_schema = 'marts'
order by table_name
