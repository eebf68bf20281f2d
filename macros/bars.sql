{#
  Incremental day logic of the bars tables (models/market), built on the day-version helpers of
  macros/pending_days.sql (day_versions_sql, trade_days_filter).

  The four tables are built in a chain: bars_rejected -> bars_1m -> bars_5m -> bars_daily. A
  Bronze day's version is the newest `ingested_at` of its bars (every file of the day: 1-minute
  and daily, every dataset). Each table records versions per row (bronze_ingested_at or
  bars_version), and a day may legitimately give a table no rows (no rejects, no minute bars on a
  history day), so a table treats a day as done when it or a table built AFTER it holds the day at
  Bronze's version:
    bars_rejected: [bars_rejected, bars_1m, bars_5m, bars_daily]
    bars_1m:       [bars_1m, bars_5m, bars_daily]
    bars_5m:       [bars_5m, bars_daily]
    bars_daily:    [bars_daily]
  bars_daily witnesses every bar of a known symbol (its bars_version is the newest ingested_at of
  all the symbol's Bronze bars of the day), so a processed day is done for all four tables. A run
  killed part-way leaves the later tables at the old version, so the next run processes the day
  again from the first table that has not seen it.
#}

{#
  The trading days a bars table must (re)process: the Bronze days that none of `done` holds at
  Bronze's version. `done` is a list of [relation, version_column] pairs; relations that do not
  exist yet (none) are skipped. A list of 'yyyy-mm-dd' strings; empty at parse time.
#}
{% macro bars_pending_days(bronze_relation, done) %}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set done = done | selectattr(0) | list -%}
  {%- set query -%}
    with bars_bronze_days as (
      {{ day_versions_sql(bronze_relation, 'ingested_at') }}
    ),
    {%- if done %}
    bars_done_days as (
      select trade_date, max(version) as version
      from (
        {%- for pair in done %}
        {{ day_versions_sql(pair[0], pair[1]) }}
        {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
      ) as done_days
      group by trade_date
    ),
    {%- else %}
    bars_done_days as (
      select cast(null as date) as trade_date, cast(null as timestamp) as version
    ),
    {%- endif %}
    final as (
      select cast(bars_bronze_days.trade_date as {{ string_type() }}) as trade_date
      from bars_bronze_days
      left join bars_done_days on bars_bronze_days.trade_date = bars_done_days.trade_date
      where bars_done_days.version is null or bars_done_days.version != bars_bronze_days.version
    )
    select * from final order by trade_date
  {%- endset -%}
  {{ return(bars_first_column(run_query(query))) }}
{% endmacro %}

{#
  Stale rows. insert_overwrite replaces the partitions of the days a run writes rows for; a
  pending day that now gives the table no rows (its bars were rejected, or the day left Bronze)
  would keep its old rows. A row is current when its lineage is still in Bronze:
  - lineage 'file' (bars_1m, bars_rejected): its (trade_date, file_name, bronze_load_id) is a
    (trade_date, file_name, load_id) of Bronze;
  - lineage [relation, column, condition] (bars_5m, bars_daily): per (trade_date, symbol), the
    newest version the table holds equals the newest `column` of `relation` (where `condition`;
    `relation` is 'bronze' for bronze_relation, else the name of a model in this schema)
    for that symbol and day: bars_daily against Bronze's ingested_at, bars_5m against the
    in-session minutes of bars_1m (built before it).
  Only days the table holds at a version that is not Bronze's day version can hold stale rows
  (a metadata query on Spark; usually none, and nothing else runs). A day whose every key is stale
  is deleted whole (metadata-only on Iceberg), else only its stale keys. Nothing stale: no
  statement, no commit.
  Spark: a post-hook, after the insert_overwrite (one atomic commit replaces a reloaded day; the
  delete then only touches days the run wrote nothing for). Athena: a pre-hook before the MERGE
  on the unique key (the MERGE never removes rows). Each renders nothing on the other engine, on
  full builds and at parse time.
#}
{% macro bars_delete_stale_after(bronze_relation, version_column, lineage) %}
  {{ return(adapter.dispatch('bars_delete_stale_after')(bronze_relation, version_column, lineage)) }}
{% endmacro %}

{% macro default__bars_delete_stale_after(bronze_relation, version_column, lineage) %}
  {{ return(bars_delete_stale_sql(bronze_relation, version_column, lineage)) }}
{% endmacro %}

{% macro athena__bars_delete_stale_after(bronze_relation, version_column, lineage) %}
  {{ return('') }}
{% endmacro %}

{% macro bars_delete_stale_before(bronze_relation, version_column, lineage) %}
  {{ return(adapter.dispatch('bars_delete_stale_before')(bronze_relation, version_column, lineage)) }}
{% endmacro %}

{% macro default__bars_delete_stale_before(bronze_relation, version_column, lineage) %}
  {{ return('') }}
{% endmacro %}

{% macro athena__bars_delete_stale_before(bronze_relation, version_column, lineage) %}
  {{ return(bars_delete_stale_sql(bronze_relation, version_column, lineage)) }}
{% endmacro %}

{#
  The days this table holds at a version that is not Bronze's day version (days gone from Bronze
  included). A list of 'yyyy-mm-dd' strings.
#}
{% macro bars_days_out_of_date(bronze_relation, version_column) %}
  {%- set query -%}
    with bars_table_days as (
      {{ day_versions_sql(this, version_column) }}
    ),
    bars_bronze_days as (
      {{ day_versions_sql(bronze_relation, 'ingested_at') }}
    ),
    final as (
      select cast(bars_table_days.trade_date as {{ string_type() }}) as trade_date
      from bars_table_days
      left join bars_bronze_days on bars_table_days.trade_date = bars_bronze_days.trade_date
      where bars_bronze_days.version is null or bars_bronze_days.version != bars_table_days.version
    )
    select * from final
  {%- endset -%}
  {{ return(bars_first_column(run_query(query))) }}
{% endmacro %}

{# The values of a query result's first column, as a list (none when the result has no columns). #}
{% macro bars_first_column(result) %}
  {{ return(result.columns[0].values() | list if result.columns else []) }}
{% endmacro %}

{% macro bars_delete_stale_sql(bronze_relation, version_column, lineage) %}
  {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- set days = bars_days_out_of_date(bronze_relation, version_column) -%}
  {%- if not days -%}{{ return('') }}{%- endif -%}
  {%- if lineage == 'file' -%}
    {%- set keys = ['file_name', 'bronze_load_id'] -%}
    {%- set query -%}
      with bars_held_keys as (
        select distinct trade_date, file_name as key_1, bronze_load_id as key_2
        from {{ this }}
        where {{ trade_days_filter('trade_date', days) }}
      ),
      bars_current_keys as (
        select distinct trade_date, file_name as key_1, load_id as key_2
        from {{ bronze_relation }}
        where {{ trade_days_filter('trade_date', days) }}
      ),
    {%- endset -%}
  {%- else -%}
    {%- set keys = ['symbol', version_column] -%}
    {%- set query -%}
      with bars_held_keys as (
        select trade_date, symbol as key_1, max({{ version_column }}) as key_2
        from {{ this }}
        where {{ trade_days_filter('trade_date', days) }}
        group by trade_date, symbol
      ),
      bars_current_keys as (
        select trade_date, symbol as key_1, max({{ lineage[1] }}) as key_2
        from {{ bronze_relation if lineage[0] == 'bronze' else adapter.get_relation(this.database, this.schema, lineage[0]) }}
        where {{ trade_days_filter('trade_date', days) }} and {{ lineage[2] }}
        group by trade_date, symbol
      ),
    {%- endset -%}
  {%- endif -%}
  {%- set query -%}
    {{ query }}
    final as (
      select
        cast(bars_held_keys.trade_date as {{ string_type() }}) as trade_date,
        bars_held_keys.key_1,
        cast(bars_held_keys.key_2 as {{ string_type() }}) as key_2,
        bars_current_keys.key_1 is not null as is_current
      from bars_held_keys
      left join bars_current_keys
        on bars_held_keys.trade_date = bars_current_keys.trade_date
        and bars_held_keys.key_1 = bars_current_keys.key_1
        and bars_held_keys.key_2 = bars_current_keys.key_2
    )
    select trade_date, key_1, key_2, is_current from final
  {%- endset -%}
  {{ return(delete_stale_keys_sql(run_query(query).rows, keys if lineage == 'file' else keys[:1])) }}
{% endmacro %}

{# The calendar date of a UTC timestamp in New York (the trading day of a regular-session bar). #}
{% macro new_york_date(ts) %}
  {{ return(adapter.dispatch('new_york_date')(ts)) }}
{% endmacro %}

{% macro default__new_york_date(ts) -%}
  to_date(from_utc_timestamp({{ ts }}, 'America/New_York'))
{%- endmacro %}

{% macro athena__new_york_date(ts) -%}
  cast(at_timezone({{ ts }}, 'America/New_York') as date)
{%- endmacro %}

{# The start of the `minutes`-minute bucket holding a timestamp (floor, aligned to the hour). #}
{% macro floor_to_minutes(ts, minutes) %}
  {{ return(adapter.dispatch('floor_to_minutes')(ts, minutes)) }}
{% endmacro %}

{% macro default__floor_to_minutes(ts, minutes) -%}
  timestampadd(minute, -(minute({{ ts }}) % {{ minutes }}), date_trunc('minute', {{ ts }}))
{%- endmacro %}

{% macro athena__floor_to_minutes(ts, minutes) -%}
  date_add('minute', -(minute({{ ts }}) % {{ minutes }}), date_trunc('minute', {{ ts }}))
{%- endmacro %}
