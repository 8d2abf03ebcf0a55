-- The batch's totals of one channel, from the audit rows just written.
select count(*), coalesce(sum(records), 0), coalesce(sum(loaded), 0),
    coalesce(sum(skipped), 0), coalesce(sum(duplicates), 0),
    coalesce(sum(quarantined), 0)
from raw.load_audit where source_file in (select source_file from audited_files)
    and channel = $channel
