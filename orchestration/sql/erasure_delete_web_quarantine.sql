-- `chatwh forget` of a web person: the quarantined web records that name them (by their
-- anonymousId, as the record holds it). Bound: $identifier.
delete from raw.quarantine
where channel = 'web' and record ->> 'anonymousId' = $identifier
