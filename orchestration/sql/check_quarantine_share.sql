-- The latest arrival day's quarantined and total records (asset check quarantine_share).
select arrival_date, sum(quarantined), sum(records)
from raw.load_audit
where arrival_date = (select max(arrival_date) from raw.load_audit)
group by arrival_date
