{#
  Pre-hook of the Gold models that run on Athena Spark (LaymanSPY, IronCondor): make room for the
  days the strategy recomputes there.

  On Athena a strategy reads the Silver days with trade_date >= latest Silver trade_date -
  athena_window_days (its config) and returns signals for exactly those days.
  - Spark targets: nothing to do here. The model itself plans the run from its inputs' changes and
    clears the days it replaces (optlake.gold.runs).
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
  {%- set lookback_days = config.get('athena_window_days') | int -%}
  {%- set window_start = modules.datetime.date.fromisoformat(latest | string)
      - modules.datetime.timedelta(days=lookback_days) -%}
  {{ return("delete from " ~ this ~ " where trade_date >= date'" ~ window_start.isoformat() ~ "'") }}
{% endmacro %}
