{% macro round_percentage(numerator, denominator) -%}
    {#-
        numerator / denominator x 100, rounded half away from zero to one decimal. The
        rounding is done on integers (tenths of a percent), so 12.25 never becomes 12.2
        through binary floating point; null when the denominator is 0.
    -#}
    case when {{ denominator }} = 0 then null else cast(
        sign({{ numerator }})
        * floor((2 * abs({{ numerator }}) * 1000 + {{ denominator }}) / (2 * ({{ denominator }})))
        / 10.0 as decimal(18, 1)
    ) end
{%- endmacro %}
