{#
  Post-hook of the analytics tables partitioned by trade day (Spark): a run replaces the
  partitions of the days it computes (insert_overwrite), so a day its input no longer has at
  all (every quote of a reloaded day rejected, a file removed) would keep its old rows. This
  deletes those days: whole partitions, a metadata-only Iceberg delete. Nothing to delete: no
  statement, no commit. Full builds and parse time render nothing. On Spark both tables' days come
  from their `partitions` metadata tables (both are partitioned by trade_date), not from their rows.
#}
{% macro delete_days_missing_from(upstream) %}
  {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- set query -%}
    {%- if target.type == 'athena' %}
    select distinct cast(trade_date as {{ string_type() }}) as trade_date from {{ this }}
    where trade_date not in (select distinct trade_date from {{ upstream }})
    {%- else %}
    select distinct cast(partition.trade_date as string) as trade_date from {{ this }}.partitions
    where partition.trade_date not in (select partition.trade_date from {{ upstream }}.partitions)
    {%- endif %}
  {%- endset -%}
  {%- set gone = run_query(query).columns[0].values() | list -%}
  {%- if not gone -%}{{ return('') }}{%- endif -%}
  {{ return('delete from ' ~ this ~ ' where ' ~ trade_days_filter('trade_date', gone)) }}
{% endmacro %}
