{#
  Pre-hook of the incremental Gold models: make room for the days the strategy recomputes.

  A strategy reads the Silver days with trade_date >= latest Silver trade_date - lookback_days
  (its `lookback_days` config) and returns signals for exactly those days.
  - Spark: nothing to do. insert_overwrite replaces the partitions of the days the model returns.
  - Athena: Iceberg tables take append or merge, not insert_overwrite, and a signal row has no
    natural key, so the window's days are deleted first and the model's rows appended. Older days
    stay as signal history. If the append fails after the delete, the next run recomputes the same
    window (it only depends on Silver), so nothing is lost for good.
#}
{% macro delete_gold_window(silver_relation) %}
  {{ return(adapter.dispatch('delete_gold_window')(silver_relation)) }}
{% endmacro %}

{% macro default__delete_gold_window(silver_relation) %}
  {{ return('') }}
{% endmacro %}

{% macro athena__delete_gold_window(silver_relation) %}
  {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- set latest_query -%}
    select cast(max(trade_date) as {{ string_type() }}) as latest from {{ silver_relation }}
  {%- endset -%}
  {%- set latest = run_query(latest_query).columns[0].values() | first -%}
  {%- if latest is none -%}{{ return('') }}{%- endif -%}
  {%- set lookback_days = config.get('lookback_days') | int -%}
  {%- set window_start = modules.datetime.date.fromisoformat(latest | string)
      - modules.datetime.timedelta(days=lookback_days) -%}
  {{ return("delete from " ~ this ~ " where trade_date >= date'" ~ window_start.isoformat() ~ "'") }}
{% endmacro %}
