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
      select cast(bronze_versions.trade_date as {{ string_type() }}) as trade_date
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
  Pre-hook of the incremental Silver models: remove what Bronze no longer has. Renders nothing when
  there is nothing to remove, on full builds and at parse time.
#}
{% macro delete_rows_gone_from_bronze(bronze_relation) %}
  {{ return(adapter.dispatch('delete_rows_gone_from_bronze')(bronze_relation)) }}
{% endmacro %}

{#
  Spark: delete the days this table holds that Bronze no longer has (a reload that quarantined
  every row of a day's file). insert_overwrite replaces the whole partition of every day a run
  writes, so only days that are not written again need deleting.
#}
{% macro default__delete_rows_gone_from_bronze(bronze_relation) %}
  {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- set days = held_days_out_of_date(bronze_relation, gone_only=true) -%}
  {%- if days -%}
    {{ return('delete from ' ~ this ~ ' where ' ~ trade_days_filter('trade_date', days)) }}
  {%- endif -%}
  {{ return('') }}
{% endmacro %}

{#
  The days this table holds whose version is not Bronze's: days gone from Bronze, and unless
  gone_only, also days whose Bronze version changed. A list of 'yyyy-mm-dd' strings.
#}
{% macro held_days_out_of_date(bronze_relation, gone_only) %}
  {%- set query -%}
    with held as ({{ day_versions_sql(this, 'bronze_ingested_at') }}),
    in_bronze as ({{ day_versions_sql(bronze_relation, 'ingested_at') }})
    select cast(held.trade_date as {{ string_type() }}) as trade_date
    from held
    left join in_bronze on held.trade_date = in_bronze.trade_date
    where in_bronze.version is null{% if not gone_only %} or in_bronze.version != held.version{% endif %}
  {%- endset -%}
  {{ return(run_query(query).columns[0].values() | list) }}
{% endmacro %}

{#
  Athena: Silver is merged on its unique key, not overwritten by day, so a row whose Bronze line
  is gone would stay. Before the merge, for every day whose version here differs from Bronze's
  (a day reloaded or gone), delete the rows whose (file_name, bronze_load_id) is no longer a
  (file_name, load_id) of that day in Bronze: rows of a file reloaded under a new load id, of a
  file that left Bronze, and every row of a day that left Bronze. The merge then updates the rows
  still there and inserts the rest. Two commits, not one: if the merge fails after the delete,
  the day's version here is older than Bronze's, so the next run processes it again.
#}
{% macro athena__delete_rows_gone_from_bronze(bronze_relation) %}
  {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- set days = held_days_out_of_date(bronze_relation, gone_only=false) -%}
  {%- if not days -%}{{ return('') }}{%- endif -%}
  {%- set files_query -%}
    select distinct cast(trade_date as {{ string_type() }}) as trade_date, file_name, load_id
    from {{ bronze_relation }}
    where {{ trade_days_filter('trade_date', days) }}
  {%- endset -%}
  {%- set kept = [] -%}
  {%- for row in run_query(files_query).rows -%}
    {%- do kept.append("(trade_date = date'" ~ row[0] ~ "' and file_name = '" ~ (row[1] | replace("'", "''"))
        ~ "' and bronze_load_id = '" ~ (row[2] | replace("'", "''")) ~ "')") -%}
  {%- endfor -%}
  {%- set sql = 'delete from ' ~ this ~ ' where ' ~ trade_days_filter('trade_date', days) -%}
  {%- if kept -%}
    {%- set sql = sql ~ ' and not (' ~ kept | join(' or ') ~ ')' -%}
  {%- endif -%}
  {{ return(sql) }}
{% endmacro %}

{#
  (trade_date, version) of a table: the newest value of a timestamp column per trading day.
  On Spark the tables are Iceberg, and the answer comes from the `files` metadata table (each data
  file's upper bound of the column), so no data file is read and the cost does not grow with the
  rows of history. Other engines scan the column (default__), Athena deliberately:
  - Silver on Athena is written by MERGE and DELETE, which Athena commits as Iceberg position
    delete files (merge-on-read). The metadata tables' per-file bounds still include rows those
    delete files removed, so a day deleted from Silver would keep its old version there; the
    pre-hook above and the pending-day logic need the live rows.
  - Athena documents `$partitions` with record and file counts only, not per-column bounds.
  - The scan is cheap where Athena bills (bytes read): two columns, trade_date (the partition) and
    a load timestamp constant per Bronze file, which Parquet stores dictionary/RLE encoded.
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
