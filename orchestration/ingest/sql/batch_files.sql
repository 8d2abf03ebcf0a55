-- The files being read, with their arrival days.
create or replace temp table batch_files as
select
    unnest($files::varchar[]) as source_file,
    unnest($days::date[]) as arrival_date
