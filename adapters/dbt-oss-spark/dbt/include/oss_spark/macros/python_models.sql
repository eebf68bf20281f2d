{#
  Python models on open-source Spark. dbt-spark writes a Python model's result with
  `df.write.saveAsTable`, which ignores `partition_by`; an incremental insert_overwrite into an
  unpartitioned table would then replace the whole table. Here the result is written with
  DataFrameWriterV2, so the table gets the model's format, partitioning (columns, and Iceberg's time
  transforms such as months(c)) and table properties.
  SQL models keep dbt-spark's behaviour unchanged.
#}

{% macro oss_spark__create_table_as(temporary, relation, compiled_code, language='sql') -%}
  {%- if language == 'python' -%}
    {{ oss_spark_py_write_table(compiled_code, relation) }}
  {%- else -%}
    {{ spark__create_table_as(temporary, relation, compiled_code, language) }}
  {%- endif -%}
{%- endmacro %}

{#- A partition_by entry: a column, or an Iceberg transform of one (years(c), months(c), days(c), hours(c)). -#}
{% macro oss_spark_py_partition(entry) -%}
  {%- set parts = entry.replace(')', '').split('(') -%}
  {%- if parts | length == 2 and parts[0] | trim in ['years', 'months', 'days', 'hours'] -%}
    _F.{{ parts[0] | trim }}(_F.col("{{ parts[1] | trim }}"))
  {%- elif parts | length == 1 -%}
    _F.col("{{ entry }}")
  {%- else -%}
    {{ exceptions.raise_compiler_error("partition_by entry " ~ entry ~ ": a column or years(c), months(c), days(c), hours(c)") }}
  {%- endif -%}
{%- endmacro %}

{% macro oss_spark_py_write_table(compiled_code, target_relation) -%}
{%- set partition_by = config.get('partition_by') or [] -%}
{%- set partition_by = [partition_by] if partition_by is string else partition_by -%}
{%- set tblproperties = config.get('tblproperties') or {} -%}
{{ oss_spark_py_model_frame(compiled_code) }}
writer = df.writeTo("{{ target_relation }}").using("{{ config.get('file_format', 'iceberg') }}")
{%- if partition_by %}
writer = writer.partitionedBy({% for column in partition_by %}{{ oss_spark_py_partition(column) }}{{ ", " if not loop.last }}{% endfor %})
{%- endif %}
{%- for key, value in tblproperties.items() %}
writer = writer.tableProperty("{{ key }}", "{{ value }}")
{%- endfor %}
writer.createOrReplace()
{%- endmacro %}

{#- The model's code, run in this Spark session: `df` is its result as a Spark DataFrame. -#}
{% macro oss_spark_py_model_frame(compiled_code) -%}
{{ compiled_code }}
# --- Written by dbt-oss-spark: run the model in this Spark session, write its result. --- #
import pandas as _pandas
from pyspark.sql import DataFrame as _DataFrame
from pyspark.sql import functions as _F

dbt = dbtObj(spark.table)
df = model(dbt, spark)
if isinstance(df, _pandas.DataFrame):
    df = spark.createDataFrame(df)
if not isinstance(df, _DataFrame):
    raise TypeError(f"a dbt Python model must return a Spark or pandas DataFrame, not {type(df).__name__}")
{%- endmacro %}

{#-
  Incremental Python models, in one write. dbt-spark writes the result to a `__dbt_tmp` table and
  then copies it into the target: the rows written twice, two more commits and a drop. Here, on an
  existing table, the result goes straight into the target with DataFrameWriterV2:
  `overwritePartitions` (insert_overwrite: the partitions the rows fall in are replaced, as
  dbt-spark's dynamic insert overwrite does) or `append`, columns matched by name as dbt-spark's copy
  matches them; the model's `write_options` (e.g. Iceberg's `distribution-mode`) apply to this write
  only. on_schema_change `append_new_columns` adds the result's new columns to the table
  first; `ignore` adds none. A first build or --full-refresh creates the table (replacing a view).
  SQL models run dbt-spark's materialization unchanged. (dbt runs a Python model only from the
  materialization itself, so the Python cases cannot be handed to dbt-spark's.)
-#}
{% materialization incremental, adapter='oss_spark', supported_languages=['sql', 'python'] -%}
  {%- if model['language'] != 'python' -%}
    {{ return(materialization_incremental_spark()) }}
  {%- endif -%}
  {%- set strategy = config.get('incremental_strategy') or 'append' -%}
  {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'), default='ignore') -%}
  {%- if strategy not in ['append', 'insert_overwrite'] or (strategy == 'insert_overwrite' and not config.get('partition_by')) -%}
    {{ exceptions.raise_compiler_error("Python model " ~ this ~ ": oss_spark runs incremental Python models with incremental_strategy append, or insert_overwrite with partition_by; not " ~ strategy) }}
  {%- endif -%}
  {%- if on_schema_change not in ['ignore', 'append_new_columns'] -%}
    {{ exceptions.raise_compiler_error("Python model " ~ this ~ ": oss_spark supports on_schema_change ignore or append_new_columns for incremental Python models, not " ~ on_schema_change) }}
  {%- endif -%}
  {%- set existing_relation = load_relation(this) -%}
  {%- set rebuild = existing_relation is none or existing_relation.is_view or should_full_refresh() -%}
  {%- if existing_relation is not none and existing_relation.is_view -%}
    {% do adapter.drop_relation(existing_relation) %}
  {%- endif -%}
  {{ run_hooks(pre_hooks) }}
  {%- call statement('main', language='python') -%}
  {%- if rebuild -%}
{{ oss_spark_py_write_table(compiled_code, this) }}
  {%- else -%}
{{ oss_spark_py_model_frame(compiled_code) }}
{%- if on_schema_change == 'append_new_columns' %}
_stored = {f.name.lower() for f in spark.table("{{ this }}").schema.fields}
_added = [f"`{f.name}` {f.dataType.simpleString()}" for f in df.schema.fields if f.name.lower() not in _stored]
if _added:
    spark.sql(f"alter table {{ this }} add columns ({', '.join(_added)})")
{%- endif %}
writer = df.writeTo("{{ this }}")
{%- for key, value in (config.get('write_options') or {}).items() %}
writer = writer.option("{{ key }}", "{{ value }}")
{%- endfor %}
{% if strategy == 'append' %}writer.append(){% else %}writer.overwritePartitions(){% endif %}
  {%- endif -%}
  {%- endcall -%}
  {% do persist_constraints(this, model) if rebuild %}
  {% do apply_grants(this, config.get('grants'), should_revoke(existing_relation, rebuild)) %}
  {% do persist_docs(this, model) %}
  {{ run_hooks(post_hooks) }}
  {{ return({'relations': [this]}) }}
{%- endmaterialization %}

{#-
  dbt-spark's insert_overwrite names the partition columns (`partition (a, b)`), which Spark's
  parser refuses for a transform such as months(c). Without the clause, an insert overwrite in
  dynamic mode (dbt sets it for insert_overwrite with partition_by) replaces the partitions the
  rows fall in, transforms included, as the clause does for plain columns.
-#}
{% macro oss_spark__partition_cols(label, required=false) -%}
  {%- set cols = config.get('partition_by', validator=validation.any[list, basestring]) -%}
  {%- set cols = [cols] if cols is string else cols -%}
  {%- set ns = namespace(transforms=false) -%}
  {%- for col in cols or [] -%}
    {%- if '(' in col -%}{%- set ns.transforms = true -%}{%- endif -%}
  {%- endfor -%}
  {%- if not (label == 'partition' and ns.transforms) -%}
    {{ spark__partition_cols(label, required) }}
  {%- endif -%}
{%- endmacro %}
