-- Lines that arrive before the block being written (there must be none).
select count(*) from pending
where dt < $first_day
