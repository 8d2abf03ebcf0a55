-- Keep only the lines of later days. Rebuilt rather than deleted from: an in-memory table
-- keeps the memory of deleted rows.
create or replace table pending as from pending
where dt >= $end_day
