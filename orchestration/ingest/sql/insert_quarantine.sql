-- Bad input, with its reason and the redacted record (never a personal field).
insert into raw.quarantine
select arrival_date, $channel, source_file, line_number, record_index, reason,
    record, raw_sha256, raw_bytes, now()::timestamp
from records where outcome = 'quarantined'
