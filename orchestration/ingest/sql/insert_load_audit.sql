-- One audit row per file: loaded + skipped + duplicates + quarantined = records.
insert into raw.load_audit
with per_file as (
    select
        source_file,
        sum(record_count) as records,
        sum(record_count) filter (where outcome = 'interaction') as loaded,
        sum(record_count) filter (where outcome in ('skipped', 'erased')) as skipped,
        sum(record_count) filter (where outcome = 'duplicate') as duplicates,
        sum(record_count) filter (where outcome = 'quarantined') as quarantined,
        sum(record_count) filter (where outcome = 'erased') as erased
    from records group by source_file
)
select
    regexp_extract(f.source_file, 'dt=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1)::date,
    $channel, f.source_file,
    coalesce(records, 0), coalesce(loaded, 0), coalesce(skipped, 0),
    coalesce(duplicates, 0), coalesce(quarantined, 0), coalesce(erased, 0),
    now()::timestamp
from audited_files as f left join per_file using (source_file)
