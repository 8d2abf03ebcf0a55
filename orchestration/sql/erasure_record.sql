-- `chatwh forget`: the erasure recorded in raw.erasures (channel, pseudonym, when, the
-- earliest deleted interaction), which dbt's change set reads like new rows. A person with
-- no interaction left is recorded once (so later loads skip them); a person with some is
-- recorded again, so that the next build rewrites from their earliest one.
-- Bound: $channel, $pseudonym, $erased_from (null when nobody matched).
insert into raw.erasures
select $channel, $pseudonym, now()::timestamp, $erased_from
where
    $erased_from is not null
    or not exists (
        select 1 from raw.erasures
        where channel = $channel and user_id = $pseudonym
    )
