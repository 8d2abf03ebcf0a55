-- A reload deletes the days' rows: one that the new load does not bring back is a change
-- for dbt too, from the earliest deleted interaction on (the new rows carry loaded_at).
insert into raw.reloads
select $channel, arrival_date, min(occurred_at), now()::timestamp from {{ raw_table }}
where arrival_date in (select day from batch_days)
group by arrival_date
