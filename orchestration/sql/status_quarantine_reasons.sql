-- chatwh status: the most frequent reasons among the records that one run quarantined
-- (its arrival days, written during the run; a later load of the same days replaces them).
-- $1, $2: the run's first and last arrival day; $3, $4: its start and end (UTC);
-- $5: how many reasons.
select
    reason,
    count(*) as records
from raw.quarantine
where
    arrival_date between $1 and $2
    and quarantined_at between $3 and $4
group by reason
order by records desc, reason asc
limit $5
