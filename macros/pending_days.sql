{#
  Which trading days an incremental Silver model must (re)process.

  A day's version is the newest Bronze `ingested_at` among its rows; a Bronze reload of a file gives
  the day a newer version (and a file that leaves Bronze may give it an older one). A Silver-side
  table records, per row, the version it was built from (`bronze_ingested_at`). A day is pending
  when none of the tables in `done_relations` holds it at Bronze's version: none holds the day, or
  the newest version they hold is not Bronze's. The rejected table lists Silver among its
  done_relations, since a day may legitimately give it no rows (a day without rejects).

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
      where done_versions.version is null or bronze_versions.version != done_versions.version
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
  Silver-side tables hold, for every day they hold, exactly the rows Bronze gives them now: rows
  built from a file load that Bronze no longer has (the file was reloaded, superseded, quarantined)
  must go. Both incremental Silver models call this macro as their pre-hook (hook='pre') and their
  post-hook (hook='post') (dbt_project.yml); each engine acts in one of the two and renders nothing
  in the other, on full builds and at parse time.
  - Spark, after the write: a run replaces the partitions of the pending days it writes
    (insert_overwrite, one atomic commit per table); a day it writes no rows for (every quote of a
    reloaded day now goes to the other table, or the day has left Bronze) would keep its old rows.
  - Athena, before the write: the MERGE updates and inserts but never removes.
#}
{% macro delete_rows_gone_from_bronze(bronze_relation, hook) %}
  {{ return(adapter.dispatch('delete_rows_gone_from_bronze')(bronze_relation, hook)) }}
{% endmacro %}

{#
  Spark, post-hook, after the insert_overwrite. A row is stale when its (file_name, bronze_load_id)
  is no longer a (file_name, load_id) of its day in Bronze (the file was reloaded, superseded or
  quarantined). Only days this table holds at a version that is not Bronze's can hold stale rows
  (a metadata query finds them; usually none, and then nothing else runs); for those, the distinct
  (file, load) pairs of this table and of Bronze are compared. A day whose every pair is stale is
  deleted whole (trade_date partitions: Iceberg deletes them from metadata alone, without reading or
  rewriting a data file); on a day holding current files too (several files per day), only the stale
  pairs' rows. Nothing stale: no statement, no commit.
  Interrupted runs: if the process dies between the insert and this delete, the day is still held
  at an old version here, so the next run's post-hook (it runs on every incremental run) finds the
  same stale rows and deletes them.
#}
{% macro default__delete_rows_gone_from_bronze(bronze_relation, hook) %}
  {%- if hook != 'post' or not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- set days = held_days_out_of_date(bronze_relation) -%}
  {%- if not days -%}{{ return('') }}{%- endif -%}
  {%- set pairs_query -%}
    with held as (
      select distinct trade_date, file_name, bronze_load_id
      from {{ this }}
      where {{ trade_days_filter('trade_date', days) }}
    ),
    in_bronze as (
      select distinct trade_date, file_name, load_id
      from {{ bronze_relation }}
      where {{ trade_days_filter('trade_date', days) }}
    ),
    final as (
      select
        cast(held.trade_date as {{ string_type() }}) as trade_date,
        held.file_name,
        held.bronze_load_id,
        in_bronze.load_id is not null as is_current
      from held
      left join in_bronze
        on held.trade_date = in_bronze.trade_date
        and held.file_name = in_bronze.file_name
        and held.bronze_load_id = in_bronze.load_id
    )
    select * from final
  {%- endset -%}
  {{ return(delete_stale_keys_sql(run_query(pairs_query).rows, ['file_name', 'bronze_load_id'])) }}
{% endmacro %}

{#
  The delete of a table's stale rows, from rows (trade_date, key_1, key_2, is_current) of its held
  keys: a day with no current key goes whole (a metadata-only partition delete); otherwise the rows
  of each stale key, matched on `key_columns` (key_1, then key_2 when a second column is given).
  Renders '' when nothing is stale. Used by the options Silver and the bars tables.
#}
{% macro delete_stale_keys_sql(rows, key_columns) %}
  {%- set current_days, stale = [], [] -%}
  {%- for row in rows -%}
    {%- if row[3] -%}{%- do current_days.append(row[0] | string) -%}{%- else -%}{%- do stale.append(row) -%}{%- endif -%}
  {%- endfor -%}
  {%- set whole_days, predicates = [], [] -%}
  {%- for row in stale -%}
    {%- if (row[0] | string) not in current_days -%}
      {%- if (row[0] | string) not in whole_days -%}{%- do whole_days.append(row[0] | string) -%}{%- endif -%}
    {%- else -%}
      {%- set parts = ["trade_date = date'" ~ row[0] ~ "'"] -%}
      {%- for column in key_columns -%}
        {%- do parts.append(column ~ " = '" ~ (row[loop.index] | string | replace("'", "''")) ~ "'") -%}
      {%- endfor -%}
      {%- set predicate = '(' ~ parts | join(' and ') ~ ')' -%}
      {%- if predicate not in predicates -%}{%- do predicates.append(predicate) -%}{%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if whole_days -%}{%- do predicates.insert(0, trade_days_filter('trade_date', whole_days)) -%}{%- endif -%}
  {%- if not predicates -%}{{ return('') }}{%- endif -%}
  {{ return('delete from ' ~ this ~ ' where ' ~ predicates | join(' or ')) }}
{% endmacro %}

{#
  The days this table holds at a version that is not Bronze's (a day gone from Bronze, or whose
  Bronze version changed). A list of 'yyyy-mm-dd' strings.
#}
{% macro held_days_out_of_date(bronze_relation) %}
  {%- set query -%}
    with held as ({{ day_versions_sql(this, 'bronze_ingested_at') }}),
    in_bronze as ({{ day_versions_sql(bronze_relation, 'ingested_at') }})
    select cast(held.trade_date as {{ string_type() }}) as trade_date
    from held
    left join in_bronze on held.trade_date = in_bronze.trade_date
    where in_bronze.version is null or in_bronze.version != held.version
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
{% macro athena__delete_rows_gone_from_bronze(bronze_relation, hook) %}
  {%- if hook != 'pre' or not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- set days = held_days_out_of_date(bronze_relation) -%}
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

{# The distinct trade days a table partitioned by trade_date holds: its rows, or on Spark its
   Iceberg `partitions` metadata table (no data file read). #}
{% macro held_days_sql(relation) %}
  {{ return(adapter.dispatch('held_days_sql')(relation)) }}
{% endmacro %}

{% macro default__held_days_sql(relation) -%}
  select distinct trade_date from {{ relation }}
{%- endmacro %}

{% macro spark__held_days_sql(relation) -%}
  select distinct partition.trade_date as trade_date from {{ relation }}.partitions
{%- endmacro %}
