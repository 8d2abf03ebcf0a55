-- The views on Spark's marts (orchestration/spark_marts.py): the warehouse file's catalog
-- without its data, in the in-memory database: its schemas, tables and the view macros that
-- dbt made (their text and defaults exactly as dbt made them). {{ warehouse }}: the file.
attach '{{ warehouse }}' as warehouse (read_only);
copy from database warehouse to memory (schema);
detach warehouse;
