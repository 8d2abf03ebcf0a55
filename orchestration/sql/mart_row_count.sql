-- One mart's row count; mart_metadata.row_counts joins one such select per mart with
-- union all, so that every count comes back in one query. Parameter: the table's name.
select ? as table_name, count(*) as row_count from marts."{table}"
