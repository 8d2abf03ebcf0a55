-- The days' interactions of the channel, deleted before the days are loaded again.
delete from {{ raw_table }} where arrival_date in (select day from batch_days)
