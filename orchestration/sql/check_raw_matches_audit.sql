-- Arrival days and channels whose rows in raw differ from the audit's loaded count
-- (asset check raw_reconciles_with_audit).
with audit as (
    select arrival_date, channel, sum(loaded) as loaded
    from raw.load_audit group by all
),
stored as (
    select arrival_date, 'web' as channel, count(*) as stored
    from raw.web_events group by all
    union all
    select arrival_date, 'whatsapp', count(*) from raw.whatsapp_messages group by all
)
select count(*) from audit full join stored using (arrival_date, channel)
where coalesce(loaded, 0) <> coalesce(stored, 0)
