-- The Spark build's mart as a DuckDB view over its Parquet folder (orchestration/spark.py):
-- the checks, the views and the serving snapshot read it as they read DuckDB's own marts.
create or replace view marts.{{ table }} as
select * from read_parquet('{{ folder }}/**/*.parquet', hive_partitioning = true)
