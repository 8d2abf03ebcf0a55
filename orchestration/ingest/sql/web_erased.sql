-- The web records of people who asked to be erased: counted as skipped, never loaded.
update records set outcome = 'erased'
where outcome = 'interaction'
    and {{ pseudonym_of_user_id }} in (select user_id from raw.erasures where channel = 'web')
    -- a bad line of an erased person: its redacted quarantine record would still name them
    or outcome = 'quarantined' and record ->> 'anonymousId' is not null
    and {{ pseudonym_of_record }} in (
        select user_id from raw.erasures where channel = 'web'
    )
