-- A mart of the Spark build for the views (orchestration/spark_marts.py): the copied
-- catalog's empty table replaced by a view of its Parquet folder, with DuckDB's types.
drop table marts.{{ table }};
create view marts.{{ table }} as
select {{ columns }} from read_parquet('{{ folder }}/**/*.parquet', hive_partitioning = true)
