-- A web interaction already in raw. messageId alone is the key and no time bounds it, so
-- the rows whose 8-byte message_key matches are found first, and only their ids are read
-- (by row id) and compared, instead of reading and hashing every id of the history.
update records as r set outcome = 'duplicate'
where r.outcome = 'interaction' and r.message_id in (
    select h.message_id from raw.web_events as h
    where h.rowid in (
        select seen.rowid from raw.web_events as seen
        where seen.message_key in (
            select message_key from records where outcome = 'interaction'
        )
    )
)
