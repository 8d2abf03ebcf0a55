-- A small raw table (or an empty one) as one Parquet file for Spark (orchestration/spark.py).
copy (select * from raw.{{ table }}) to '{{ folder }}/part_0.parquet' (format parquet)
