-- Files whose loaded, skipped, duplicate and quarantined counts do not add up to their
-- records (asset check raw_reconciles_with_audit).
select count(*) from raw.load_audit
where loaded + skipped + duplicates + quarantined <> records
