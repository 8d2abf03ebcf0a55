{% macro month_over_month(users, previous_users) -%}
    {#-
        The Dashboard's comparison with the month before, as three columns: pct_change
        (rounded half away from zero, null when the previous month had no users), trend
        (up, down, neutral) and color (green, red, blue). One definition for the mart
        dashboard_monthly_users and the table macro dashboard_view.
    -#}
    {{ round_percentage(users ~ ' - ' ~ previous_users, previous_users) }} as pct_change,
    case
        when {{ users }} > {{ previous_users }} then 'up'
        when {{ users }} < {{ previous_users }} then 'down'
        else 'neutral'
    end as trend,
    case
        when {{ users }} > {{ previous_users }} then 'green'
        when {{ users }} < {{ previous_users }} then 'red'
        else 'blue'
    end as color
{%- endmacro %}
