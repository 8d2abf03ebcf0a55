-- The files of the batch, each audited (a file with no line gets zeros).
create or replace temp table audited_files as select unnest($files::varchar[]) as source_file
