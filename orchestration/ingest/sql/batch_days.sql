-- The arrival days being loaded (or reloaded).
create or replace temp table batch_days as select unnest($days::date[]) as day
