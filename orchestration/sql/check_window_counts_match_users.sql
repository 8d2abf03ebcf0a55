-- Assistants whose all-history total and recurring users from the chains differ from
-- the per-user mart's (asset check unique_plus_recurring_is_total).
with chains as (
    select assistant_id,
        sum(chains) filter (where chain_length = 1)
            - coalesce(sum(chains) filter (where chain_length = 2), 0) as total,
        coalesce(sum(chains) filter (where chain_length = 2), 0)
            - coalesce(sum(chains) filter (where chain_length = 3), 0) as recurring
    from marts.session_chains_daily group by assistant_id
),
users as (
    select assistant_id, count(*) as total,
        count(*) filter (where lifetime_sessions > 1) as recurring
    from marts.customers group by assistant_id
)
select count(*) from chains full join users using (assistant_id)
where chains.total is distinct from users.total
    or chains.recurring is distinct from users.recurring
