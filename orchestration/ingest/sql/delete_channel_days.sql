-- The days' quarantine or audit rows of the channel, deleted before they are loaded again.
delete from {{ table }} where arrival_date in (select day from batch_days) and channel = $channel
