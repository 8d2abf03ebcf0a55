-- The old warehouse's erasures under the new key, set-at-a-time: an erased pseudonym is an
-- HMAC under the old key, so each id of the landing zone (rekey_ids) is pseudonymized
-- under both keys, and the ids whose old pseudonym was erased are erased again under the
-- new one. The pads are bound as $old_inner_pad, $old_outer_pad, $inner_pad, $outer_pad.
create or replace temp table carried_erasures as
select erasures.channel, erasures.user_id as old_user_id, ids.new_user_id, erasures.erased_at
from old.raw.erasures as erasures
left join (
    select channel, {old_pseudonym} as old_user_id, {new_pseudonym} as new_user_id
    from rekey_ids
) as ids
    on erasures.channel = ids.channel and erasures.user_id = ids.old_user_id
