{#
  dbt's hook for the relation a generic test reads (it also applies a test's `where` config).
  With var test_days (a list of ISO dates: `optlake daily --test`), a test of a table that has a
  trade_date column reads only those days, so testing a daily run costs the day, not the history.
  Without the var, dbt's behaviour.
#}
{% macro get_where_subquery(relation) -%}
  {%- set where = config.get('where') -%}
  {%- set days = var('test_days', none) -%}
  {%- if execute and days and relation_has_trade_date(relation) -%}
    {%- set day_list = [] -%}
    {%- for day in (days.split(',') if days is string else days) -%}
      {%- do day_list.append("date '" ~ (day | string | trim) ~ "'") -%}
    {%- endfor -%}
    {%- set day_filter = 'trade_date in (' ~ day_list | join(', ') ~ ')' -%}
    {%- set where = '(' ~ where ~ ') and ' ~ day_filter if where else day_filter -%}
  {%- endif -%}
  {%- if where -%}
    {%- set filtered -%}
      (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- endset -%}
    {{ return(filtered) }}
  {%- else -%}
    {{ return(relation) }}
  {%- endif -%}
{%- endmacro %}

{# Whether the model or source behind a relation documents a trade_date column. #}
{% macro relation_has_trade_date(relation) %}
  {%- for node in graph.nodes.values() | list + graph.sources.values() | list
        if node.resource_type in ('model', 'seed', 'snapshot', 'source')
           and (node.alias if node.resource_type != 'source' else node.identifier) | lower == relation.identifier | lower
           and node.schema | lower == relation.schema | lower -%}
    {{ return('trade_date' in node.columns) }}
  {%- endfor -%}
  {{ return(false) }}
{% endmacro %}
