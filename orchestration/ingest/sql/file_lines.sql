-- Every line of the files, one read for all of them (rejected lines: file_rejects).
create or replace temp table file_lines as
select filename as source_file, line from {{ read_csv }}
