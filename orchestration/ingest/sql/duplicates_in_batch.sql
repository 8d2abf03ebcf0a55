-- Repeats of an interaction within the batch: every occurrence of a key after the first
-- (in arrival day, file, line and record order) is a duplicate.
update records as r set outcome = 'duplicate'
from (
    select source_file, line_number, record_index,
        row_number() over (
            partition by {{ key }}
            order by arrival_date, source_file, line_number, record_index
        ) as occurrence
    from records where outcome = 'interaction'
) as ranked
where r.source_file = ranked.source_file and r.line_number = ranked.line_number
    and r.record_index = ranked.record_index and ranked.occurrence > 1
