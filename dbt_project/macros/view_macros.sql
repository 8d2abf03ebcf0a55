{#-
    The serving layer: DuckDB table macros that answer the product's views for any window in
    plain SQL, with bound values (`select * from marts.sessions_view('acme-support',
    date '2026-01-01', date '2026-09-30')`). They read only the small marts
    `session_chains_daily`, `fct_user_days`, `customers` and `dim_assistants`, so they answer
    in milliseconds at any history size. Created after every dbt invocation (on-run-end).
-#}
{% macro create_view_macros() %}
    {%- if execute and flags.WHICH in ('run', 'build', 'run-operation') and target.type == 'duckdb' -%}
    {%- set marts = generate_schema_name('marts', none) -%}
    {%- set pct = round_percentage('unique_users', 'total_users') -%}

    create schema if not exists {{ marts }};

    create or replace macro {{ marts }}.sessions_view(
        assistant_id, from_date, to_date, channel := 'all'
    ) as table
    with chains as (
        select
            coalesce(sum(c.chains) filter (where c.chain_length = 1), 0) as single_sessions,
            coalesce(sum(c.chains) filter (where c.chain_length = 2), 0) as session_pairs,
            coalesce(sum(c.chains) filter (where c.chain_length = 3), 0) as session_triples
        from {{ marts }}.session_chains_daily as c
        where c.assistant_id = assistant_id
            and (channel = 'all' or c.channel = channel)
            and c.first_date >= cast(from_date as date)
            and c.last_date <= cast(to_date as date)
    ),
    counts as (
        select
            cast(single_sessions - session_pairs as bigint) as total_users,
            cast(session_pairs - session_triples as bigint) as recurring_users
        from chains
    ),
    shaped as (
        select
            total_users,
            total_users - recurring_users as unique_users,
            recurring_users
        from counts
    )
    select
        assistant_id as assistant_id,
        channel as channel,
        cast(from_date as date) as from_date,
        cast(to_date as date) as to_date,
        total_users,
        unique_users,
        recurring_users,
        {{ pct }} as unique_pct,
        100 - {{ pct }} as recurring_pct
    from shaped;

    {#-
        The start of the Customers bucket holding a date of the window, computed rather than
        looked up in the buckets (a range join of every user-day to them took longer: 257 to
        265 ms against 220 to 244 ms for a year at 10M). One branch per grain, so that each
        `date_trunc` has a constant part; the first bucket starts at the window's first
        day. DuckDB expands the macro where it is called; the serving snapshot's new users
        (orchestration/serve/sql/snapshot_views.sql) call it too, and its Customers view
        takes the same starts from its table's week_start and month_start.
    -#}
    create or replace macro {{ marts }}.customers_bucket_of(day, bucket_grain, window_from) as
    greatest(
        case bucket_grain
            when 'day' then day
            when 'week' then cast(date_trunc('week', day) as date)
            else cast(date_trunc('month', day) as date)
        end,
        window_from
    );

    {#-
        The Customers view's bucket size: the one asked for, or by the window's length (day
        up to 31 days, week up to 182, else month).
    -#}
    create or replace macro {{ marts }}.customers_grain(from_date, to_date, grain) as
    case
        when grain is not null and grain not in ('day', 'week', 'month')
            then error('grain must be day, week or month')
        when grain is not null then grain
        when date_diff('day', cast(from_date as date), cast(to_date as date)) + 1 <= 31
            then 'day'
        when date_diff('day', cast(from_date as date), cast(to_date as date)) + 1 <= 182
            then 'week'
        else 'month'
    end;

    create or replace macro {{ marts }}.customers_buckets(
        from_date, to_date, grain := null
    ) as table
    with params as (
        select
            cast(from_date as date) as window_from,
            cast(to_date as date) as window_to,
            {{ marts }}.customers_grain(from_date, to_date, grain) as bucket_grain
    ),
    bucket_starts as (
        select
            params.*,
            cast(unnest(generate_series(
                date_trunc(params.bucket_grain, params.window_from),
                cast(params.window_to as timestamp),
                case params.bucket_grain
                    when 'day' then interval 1 day
                    when 'week' then interval 7 day
                    else interval 1 month
                end
            )) as date) as period_start
        from params
    ),
    buckets as (
        select
            bucket_grain,
            greatest(period_start, window_from) as bucket_start,
            least(
                cast(period_start + case bucket_grain
                    when 'day' then interval 1 day
                    when 'week' then interval 7 day
                    else interval 1 month
                end as date) - 1,
                window_to
            ) as bucket_end
        from bucket_starts
    )
    select
        params.bucket_grain,
        params.window_from,
        params.window_to,
        buckets.bucket_start,
        buckets.bucket_end
    from buckets, params
    order by buckets.bucket_start;

    {#-
        The new users of each bucket of a Customers window (bucket_start, new_users; buckets
        without any are absent): users whose first session lies in it. The serving snapshot
        replaces it by a count over its daily table of first sessions
        (orchestration/serve/sql/snapshot_new_users.sql).
    -#}
    create or replace macro {{ marts }}.customers_new_users(
        assistant_id, from_date, to_date, grain := null, channel := 'all'
    ) as table
    select
        {{ marts }}.customers_bucket_of(
            c.first_session_date,
            {{ marts }}.customers_grain(from_date, to_date, grain),
            cast(from_date as date)
        ) as bucket_start,
        count(*) as new_users
    from {{ marts }}.customers as c
    where c.assistant_id = assistant_id
        and (channel = 'all' or c.channel = channel)
        and c.first_session_date between cast(from_date as date) and cast(to_date as date)
    group by all;

    {#-
        Everything of the Customers view but the users active per bucket: its buckets, the
        window's totals and the new users per bucket, one row per bucket. The warehouse's
        view below and the serving snapshot's (orchestration/serve/sql/
        snapshot_views.sql) count the active users each their own way on it.
    -#}
    create or replace macro {{ marts }}.customers_frame(
        assistant_id, from_date, to_date, grain := null, channel := 'all'
    ) as table
    with buckets as (
        select * from {{ marts }}.customers_buckets(from_date, to_date, grain := grain)
    ),
    bucket_new_users as (
        select * from {{ marts }}.customers_new_users(
            assistant_id, from_date, to_date, grain := grain, channel := channel
        )
    ),
    totals as (
        select * from {{ marts }}.sessions_view(assistant_id, from_date, to_date, channel := channel)
    )
    select
        totals.assistant_id,
        totals.channel,
        totals.from_date,
        totals.to_date,
        buckets.bucket_grain as grain,
        totals.total_users,
        totals.unique_users,
        totals.recurring_users,
        totals.unique_pct,
        totals.recurring_pct,
        buckets.bucket_start,
        buckets.bucket_end,
        coalesce(bucket_new_users.new_users, 0) as new_users
    from buckets
    cross join totals
    left join bucket_new_users on buckets.bucket_start = bucket_new_users.bucket_start
    order by buckets.bucket_start;

    create or replace macro {{ marts }}.customers_view(
        assistant_id, from_date, to_date, grain := null, channel := 'all'
    ) as table
    with frame as (
        select * from {{ marts }}.customers_frame(
            assistant_id, from_date, to_date, grain := grain, channel := channel
        )
    ),
    params as (
        select
            cast(from_date as date) as window_from,
            cast(to_date as date) as window_to,
            {{ marts }}.customers_grain(from_date, to_date, grain) as bucket_grain
    ),
    window_days as (
        select
            d.channel as user_channel,
            d.user_id,
            d.sessions,
            {{ marts }}.customers_bucket_of(
                d.activity_date, params.bucket_grain, params.window_from
            ) as bucket_start
        from {{ marts }}.fct_user_days as d, params
        where d.assistant_id = assistant_id
            and (channel = 'all' or d.channel = channel)
            and d.activity_date between params.window_from and params.window_to
    ),
    window_users as (
        select w.user_channel, w.user_id, sum(w.sessions) >= 2 as is_recurring
        from window_days as w
        group by w.user_channel, w.user_id
    ),
    bucket_users as (
        select distinct bucket_start, user_channel, user_id
        from window_days
    ),
    bucket_activity as (
        select
            bucket_users.bucket_start,
            count(*) as active_users,
            count(*) filter (where window_users.is_recurring) as recurring_users
        from bucket_users
        inner join window_users
            on bucket_users.user_channel = window_users.user_channel
            and bucket_users.user_id = window_users.user_id
        group by bucket_users.bucket_start
    )
    select
        frame.* exclude (new_users),
        coalesce(bucket_activity.active_users, 0) as active_users,
        coalesce(bucket_activity.active_users, 0)
            - coalesce(bucket_activity.recurring_users, 0) as bucket_unique_users,
        coalesce(bucket_activity.recurring_users, 0) as bucket_recurring_users,
        frame.new_users
    from frame
    left join bucket_activity on frame.bucket_start = bucket_activity.bucket_start
    order by frame.bucket_start;

    {#-
        The Dashboard's 13 months for an as-of date: the as-of month (offset_months 0, to
        the as-of date) and the 12 whole months before it, each with its first and last day.
    -#}
    create or replace macro {{ marts }}.dashboard_months(assistant_id, as_of := null) as table
    with params as (
        select coalesce(
            cast(as_of as date),
            cast(timezone(a.timezone, current_timestamp) as date)
        ) as as_of_date
        from {{ marts }}.dim_assistants as a
        where a.assistant_id = assistant_id
    ),
    months as (
        select
            params.as_of_date,
            offset_months,
            cast(date_trunc('month', params.as_of_date) - to_months(offset_months) as date)
                as month_start
        from params, range(0, 13) as offsets(offset_months)
    )
    select
        *,
        case
            when offset_months = 0 then as_of_date
            else cast(month_start + interval 1 month as date) - 1
        end as month_end
    from months;

    {#-
        The users of each of the Dashboard's 13 months (dashboard_months): one row per month.
        The serving snapshot replaces it by a lookup in its table of month-to-date users per
        day (orchestration/serve/sql/snapshot_dashboard_days.sql); dashboard_view compares
        the months.
    -#}
    create or replace macro {{ marts }}.dashboard_month_users(assistant_id, as_of := null) as table
    with windows as (
        select * from {{ marts }}.dashboard_months(assistant_id, as_of := as_of)
    ),
    -- A chain counts for a month when it starts and ends in it (its last date by the month's
    -- end, which is the as-of date for the as-of month): the chains of the 13 months, each
    -- with the month it starts in, joined on that month (an equality, not a range join).
    month_chains as (
        select
            cast(date_trunc('month', c.first_date) as date) as month_start,
            c.last_date,
            c.chain_length,
            c.chains
        from {{ marts }}.session_chains_daily as c
        where c.assistant_id = assistant_id
            and c.first_date >= (select min(month_start) from windows)
            and c.first_date <= (select max(month_end) from windows)
    ),
    chains as (
        select
            windows.offset_months,
            coalesce(sum(c.chains) filter (where c.chain_length = 1), 0)
                - coalesce(sum(c.chains) filter (where c.chain_length = 2), 0) as users
        from windows
        left join month_chains as c
            on c.month_start = windows.month_start
            and c.last_date <= windows.month_end
        group by windows.offset_months
    )
    select
        windows.as_of_date,
        windows.offset_months,
        windows.month_start,
        cast(chains.users as bigint) as users
    from windows
    inner join chains on windows.offset_months = chains.offset_months;

    create or replace macro {{ marts }}.dashboard_view(assistant_id, as_of := null) as table
    with compared as (
        select
            *,
            lag(users) over (order by month_start) as previous_month_users
        from {{ marts }}.dashboard_month_users(assistant_id, as_of := as_of)
    )
    select
        assistant_id as assistant_id,
        as_of_date as as_of,
        month_start as month_start_date,
        strftime(month_start, '%Y-%m') as month,
        offset_months = 0 as is_as_of_month,
        users,
        previous_month_users,
        {{ month_over_month('users', 'previous_month_users') }}
    from compared
    where offset_months < 12
    order by month_start;
    {%- endif -%}
{% endmacro %}


{% macro install_view_macros() %}
    {#-
        The view macros alone (`dbt run-operation install_view_macros --target duckdb`):
        after a Spark build, whose marts are copied into the warehouse file
        (orchestration/spark.py), since the on-run-end hook makes them on DuckDB only.
    -#}
    {%- do run_query(create_view_macros()) -%}
{% endmacro %}
