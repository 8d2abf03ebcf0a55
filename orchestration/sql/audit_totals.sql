-- The load audit's totals over the arrival days [?, ?]: what `chatwh run` reports.
select count(distinct arrival_date), count(*), coalesce(sum(records), 0),
    coalesce(sum(loaded), 0), coalesce(sum(skipped), 0),
    coalesce(sum(duplicates), 0), coalesce(sum(quarantined), 0)
from raw.load_audit where arrival_date between ? and ?
