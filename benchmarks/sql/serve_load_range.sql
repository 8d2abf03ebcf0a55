-- The assistants and the first and last local day of a serving snapshot (serve_load.py).
select
    (select list(assistant_id order by assistant_id) from marts.dim_assistants) as assistants,
    min(first_date) as first_day,
    max(last_date) as last_day
from marts.session_chains_daily;
