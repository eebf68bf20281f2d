{#
  Small expressions whose spelling differs between Spark SQL (default__) and Trino / Athena
  (athena__). Models call these names and never a per-engine function directly.
#}

{# A string matches a regular expression (Java/Trino syntax alike for the patterns used here). #}
{% macro matches_regex(value, pattern) %}
  {{ return(adapter.dispatch('matches_regex')(value, pattern)) }}
{% endmacro %}

{% macro default__matches_regex(value, pattern) -%}
  {{ value }} rlike '{{ pattern }}'
{%- endmacro %}

{% macro athena__matches_regex(value, pattern) -%}
  regexp_like({{ value }}, '{{ pattern }}')
{%- endmacro %}

{# Calendar days from start_date to end_date (end - start), as an integer. Not dbt.datediff:
   dbt-spark's version wraps both dates in assert_not_null, which fails the query on the null
   expiry of an invalid symbol. #}
{% macro days_between(start_date, end_date) %}
  {{ return(adapter.dispatch('days_between')(start_date, end_date)) }}
{% endmacro %}

{% macro default__days_between(start_date, end_date) -%}
  datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}

{% macro athena__days_between(start_date, end_date) -%}
  date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{#
  (a + b) / 2 of two decimal(19,9) prices, exact, as decimal(20,10). Spark widens the scale of a
  decimal division; Trino keeps the larger operand scale (9 here, which would round away the
  10th decimal of 1.000000001 + 1.000000002), so the sum is widened to scale 10 first.
#}
{% macro exact_mid(a, b) %}
  {{ return(adapter.dispatch('exact_mid')(a, b)) }}
{% endmacro %}

{% macro default__exact_mid(a, b) -%}
  cast(({{ a }} + {{ b }}) / 2 as decimal(20, 10))
{%- endmacro %}

{% macro athena__exact_mid(a, b) -%}
  cast(cast({{ a }} + {{ b }} as decimal(21, 10)) / 2 as decimal(20, 10))
{%- endmacro %}

{# The text type for casts: Spark `string`, Trino `varchar` (Trino has no `string`). #}
{% macro string_type() %}
  {{ return(adapter.dispatch('string_type')()) }}
{% endmacro %}

{% macro default__string_type() -%}
  string
{%- endmacro %}

{% macro athena__string_type() -%}
  varchar
{%- endmacro %}
