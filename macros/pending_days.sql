{#
  Which trading days an incremental Silver model must (re)process.

  A day's version is the newest Bronze `ingested_at` among its rows; a Bronze reload of a file gives
  the day a newer version. A Silver-side table records, per row, the version it was built from
  (`bronze_ingested_at`). A day is pending when Bronze has a newer version than every table in
  `done_relations` holds for it, or when none of them holds the day yet.

  Returns a list of 'yyyy-mm-dd' strings (empty at parse time and when nothing is pending).
#}
{% macro pending_trade_days(bronze_relation, done_relations) %}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set done_relations = done_relations | reject('none') | list -%}
  {%- set query -%}
    with bronze_versions as (
      {{ day_versions_sql(bronze_relation, 'ingested_at') }}
    ),
    {% if done_relations %}
    done_versions as (
      select trade_date, max(version) as version
      from (
        {%- for relation in done_relations %}
        {{ day_versions_sql(relation, 'bronze_ingested_at') }}
        {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
      ) as done
      group by trade_date
    ),
    {% else %}
    done_versions as (
      select cast(null as date) as trade_date, cast(null as timestamp) as version
    ),
    {% endif %}
    final as (
      select cast(bronze_versions.trade_date as string) as trade_date
      from bronze_versions
      left join done_versions on bronze_versions.trade_date = done_versions.trade_date
      where done_versions.version is null or bronze_versions.version > done_versions.version
    )
    select * from final order by trade_date
  {%- endset -%}
  {{ return(run_query(query).columns[0].values() | list) }}
{% endmacro %}

{# `column in (date literals)`, or a predicate that is false when there are no days. #}
{% macro trade_days_filter(column, days) -%}
  {%- if days -%}
    {{ column }} in ({% for day in days %}date'{{ day }}'{{ ", " if not loop.last }}{% endfor %})
  {%- else -%}
    1 = 0
  {%- endif -%}
{%- endmacro %}

{#
  Pre-hook of the incremental Silver models: delete the days this table holds that Bronze no
  longer has (a reload that quarantined every row of a day's file). insert_overwrite only replaces
  the partitions a run writes, so without this those rows would stay. Renders nothing when no
  day has gone, on full builds and at parse time.
#}
{% macro delete_days_gone_from_bronze(bronze_relation) %}
  {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- set query -%}
    with held as ({{ day_versions_sql(this, 'bronze_ingested_at') }}),
    in_bronze as ({{ day_versions_sql(bronze_relation, 'ingested_at') }})
    select cast(trade_date as string) as trade_date from held
    where trade_date not in (select trade_date from in_bronze)
  {%- endset -%}
  {%- set days = run_query(query).columns[0].values() | list -%}
  {%- if days -%}
    {{ return('delete from ' ~ this ~ ' where ' ~ trade_days_filter('trade_date', days)) }}
  {%- endif -%}
  {{ return('') }}
{% endmacro %}

{#
  (trade_date, version) of a table: the newest value of a timestamp column per trading day.
  On Spark the tables are Iceberg, and the answer comes from the `files` metadata table (each data
  file's upper bound of the column), so no data file is read and the cost does not grow with the
  rows of history. Other engines scan the column.
#}
{% macro day_versions_sql(relation, column) %}
  {{ return(adapter.dispatch('day_versions_sql')(relation, column)) }}
{% endmacro %}

{% macro default__day_versions_sql(relation, column) -%}
  select trade_date, max({{ column }}) as version from {{ relation }} group by trade_date
{%- endmacro %}

{% macro spark__day_versions_sql(relation, column) -%}
  select partition.trade_date as trade_date, max(readable_metrics.{{ column }}.upper_bound) as version
  from {{ relation }}.files
  where content = 0
  group by partition.trade_date
{%- endmacro %}
