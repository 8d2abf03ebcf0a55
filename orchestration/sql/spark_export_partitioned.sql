-- A raw interaction table as Parquet for Spark, one folder per arrival day
-- (orchestration/spark.py); DuckDB writes the files, Spark reads the folder as a table.
copy (select * from raw.{{ table }}) to '{{ folder }}' (
    format parquet, partition_by (arrival_date), filename_pattern 'part_{i}'
)
