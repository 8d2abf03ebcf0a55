-- A mart of the Spark build copied from its Parquet folder into the warehouse file
-- (orchestration/spark.py): the checks, the views and the serving snapshot read it there
-- as they read the marts of a DuckDB build, in milliseconds, without starting Spark.
create or replace table marts.{{ table }} as
select {{ columns }} from read_parquet('{{ folder }}/**/*.parquet', hive_partitioning = true)
