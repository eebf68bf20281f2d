{#
  Post-hook of the analytics tables partitioned by trade day (Spark): a run replaces the
  partitions of the days it computes (insert_overwrite), so a day its input no longer has at
  all (every quote of a reloaded day rejected, a file removed) would keep its old rows. This
  deletes those days: whole partitions, a metadata-only Iceberg delete. Nothing to delete: no
  statement, no commit. Full builds and parse time render nothing. On Spark both tables' days come
  from their `partitions` metadata tables (held_days_sql), not from their rows.
#}
{% macro delete_days_missing_from(upstream) %}
  {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- set query -%}
    select cast(trade_date as {{ string_type() }}) as trade_date from ({{ held_days_sql(this) }}) as held
    where trade_date not in (select trade_date from ({{ held_days_sql(upstream) }}) as upstream_days)
  {%- endset -%}
  {%- set gone = run_query(query).columns[0].values() | list -%}
  {%- if not gone -%}{{ return('') }}{%- endif -%}
  {{ return('delete from ' ~ this ~ ' where ' ~ trade_days_filter('trade_date', gone)) }}
{% endmacro %}
