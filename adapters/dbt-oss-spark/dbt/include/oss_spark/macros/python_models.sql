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
{{ compiled_code }}
# --- Written by dbt-oss-spark: run the model in this Spark session, write its table. --- #
import pandas as _pandas
from pyspark.sql import DataFrame as _DataFrame
from pyspark.sql import functions as _F

dbt = dbtObj(spark.table)
df = model(dbt, spark)
if isinstance(df, _pandas.DataFrame):
    df = spark.createDataFrame(df)
if not isinstance(df, _DataFrame):
    raise TypeError(f"a dbt Python model must return a Spark or pandas DataFrame, not {type(df).__name__}")
writer = df.writeTo("{{ target_relation }}").using("{{ config.get('file_format', 'iceberg') }}")
{%- if partition_by %}
writer = writer.partitionedBy({% for column in partition_by %}{{ oss_spark_py_partition(column) }}{{ ", " if not loop.last }}{% endfor %})
{%- endif %}
{%- for key, value in tblproperties.items() %}
writer = writer.tableProperty("{{ key }}", "{{ value }}")
{%- endfor %}
writer.createOrReplace()
{%- endmacro %}

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
