-- The WhatsApp records of people who asked to be erased: counted as skipped, never loaded.
update records set outcome = 'erased'
where outcome = 'interaction'
    and user_id in (select user_id from raw.erasures where channel = 'whatsapp')
