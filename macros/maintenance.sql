{#
  Iceberg maintenance: `optlake maintenance` runs
      dbt run-operation iceberg_maintenance --args '{tables: [...], dry_run: false}'

  The tables: the Bronze sources and every model materialized as a table (incremental or not),
  built on this target; `tables` narrows them by name; retain_last and max_snapshot_age_days, when
  given, override every layer's retention for this run. Per table, in order:
    1. compaction of small data files to var maintenance.target_file_size_mb,
    2. manifest rewrite,
    3. snapshot expiry: keep the newest retain_last snapshots and every snapshot younger than
       max_snapshot_age_days (per layer, var maintenance.layers; a layer is the model's folder,
       bronze for the sources, `default` for any other),
    4. orphan files older than orphan_min_age_hours removed (files of a write that never
       committed, e.g. a killed load). Iceberg refuses less than 24 hours: a running write's
       files are not orphans yet.
  Spark (default__): Iceberg's procedures with named arguments. Athena: OPTIMIZE ... REWRITE DATA
  USING BIN_PACK and VACUUM, driven by the table properties set just before (VACUUM also removes
  orphan files). A dry run measures the tables and lists the statements it would run (Spark: also
  the orphan files, through remove_orphan_files' own dry run); it changes nothing.

  Each table's counts (data files, bytes, manifests, snapshots) before and after are logged as one
  line of JSON after the marker `optlake-maintenance `, which the optlake CLI collects into its
  report; the statements too.
#}
{% macro iceberg_maintenance(tables=none, dry_run=false, retain_last=none, max_snapshot_age_days=none) %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set settings = var('maintenance') -%}
  {%- set candidates = maintenance_tables() -%}
  {%- if tables -%}
    {%- set wanted = tables if tables is not string else tables.split(',') -%}
    {%- set known = candidates | map(attribute='name') | list -%}
    {%- set unknown = [] -%}
    {%- for name in wanted if name | trim | lower not in known -%}{%- do unknown.append(name) -%}{%- endfor -%}
    {%- if unknown -%}
      {{ exceptions.raise_compiler_error("unknown table(s) " ~ unknown | join(', ') ~ "; tables kept by maintenance: " ~ known | join(', ')) }}
    {%- endif -%}
    {%- set wanted = wanted | map('trim') | map('lower') | list -%}
    {%- set candidates = candidates | selectattr('name', 'in', wanted) | list -%}
  {%- endif -%}
  {%- for table in candidates -%}
    {%- set relation = adapter.get_relation(database=table.database, schema=table.schema, identifier=table.name) -%}
    {%- if relation is none -%}
      {%- do maintenance_log({'table': table.name, 'layer': table.layer, 'status': 'absent'}) -%}
    {%- else -%}
      {%- set policy = maintenance_policy(table.layer, settings) -%}
      {%- if retain_last is not none -%}{%- do policy.update({'retain_last': retain_last | int}) -%}{%- endif -%}
      {%- if max_snapshot_age_days is not none -%}
        {%- do policy.update({'max_snapshot_age_days': max_snapshot_age_days | float}) -%}
      {%- endif -%}
      {%- set before = maintenance_stats(relation) -%}
      {%- set statements = maintenance_statements(relation, policy) -%}
      {%- set row = {'table': table.name, 'layer': table.layer, 'before': before, 'statements': statements,
                     'policy': policy, 'status': 'dry_run' if dry_run else 'done'} -%}
      {%- if dry_run -%}
        {%- do row.update({'orphan_files': maintenance_orphans(relation, policy)}) -%}
      {%- else -%}
        {%- for statement in statements -%}{%- do run_query(statement) -%}{%- endfor -%}
        {%- do row.update({'after': maintenance_stats(relation)}) -%}
      {%- endif -%}
      {%- do maintenance_log(row) -%}
    {%- endif -%}
  {%- endfor -%}
{% endmacro %}


{# The tables maintenance keeps: Bronze sources and table-materialized models, with their layer. #}
{% macro maintenance_tables() %}
  {%- set found = [] -%}
  {%- for source in graph.sources.values() if source.source_name == 'bronze' -%}
    {%- do found.append({'name': source.name | lower, 'database': source.database, 'schema': source.schema, 'layer': 'bronze'}) -%}
  {%- endfor -%}
  {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.config.materialized in ('table', 'incremental')
           and node.config.enabled -%}
    {%- do found.append({'name': node.alias | lower, 'database': node.database, 'schema': node.schema, 'layer': node.fqn[1]}) -%}
  {%- endfor -%}
  {{ return(found | sort(attribute='name')) }}
{% endmacro %}


{# The layer's retention merged over `default`, plus the project-wide settings. #}
{% macro maintenance_policy(layer, settings) %}
  {%- set layers = settings.get('layers', {}) -%}
  {%- set policy = {} -%}
  {%- do policy.update(layers.get('default', {})) -%}
  {%- do policy.update(layers.get(layer, {})) -%}
  {%- do policy.update({
        'target_file_size_bytes': (settings.get('target_file_size_mb', 128) | float * 1048576) | int,
        'orphan_min_age_hours': settings.get('orphan_min_age_hours', 72) | int}) -%}
  {%- if policy.orphan_min_age_hours < 24 -%}
    {{ exceptions.raise_compiler_error("var maintenance.orphan_min_age_hours must be at least 24 (Iceberg refuses less: a running write's files are not orphans yet), got " ~ policy.orphan_min_age_hours) }}
  {%- endif -%}
  {{ return(policy) }}
{% endmacro %}


{% macro maintenance_log(row) %}
  {%- if row.status == 'absent' -%}
    {%- do log(row.table ~ ': not built on this target, skipped', info=true) -%}
  {%- else -%}
    {%- set b = row.before -%}
    {%- set a = row.get('after') -%}
    {%- do log(row.table ~ ' (' ~ row.layer ~ '): ' ~ b.data_files ~ ' data files, ' ~ b.manifests ~ ' manifests, '
               ~ b.snapshots ~ ' snapshots' ~ (' -> ' ~ a.data_files ~ ', ' ~ a.manifests ~ ', ' ~ a.snapshots if a else ' (dry run)'), info=true) -%}
  {%- endif -%}
  {%- do log('optlake-maintenance ' ~ tojson(row)) -%}
{% endmacro %}


{# Current data files, their bytes, manifests and snapshots of one table. #}
{% macro maintenance_stats(relation) %}
  {{ return(adapter.dispatch('maintenance_stats')(relation)) }}
{% endmacro %}

{% macro default__maintenance_stats(relation) %}
  {%- set query -%}
    select
        (select count(*) from {{ relation }}.data_files) as data_files,
        (select coalesce(sum(file_size_in_bytes), 0) from {{ relation }}.data_files) as bytes,
        (select count(*) from {{ relation }}.manifests) as manifests,
        (select count(*) from {{ relation }}.snapshots) as snapshots
  {%- endset -%}
  {{ return(maintenance_stats_row(run_query(query))) }}
{% endmacro %}

{% macro athena__maintenance_stats(relation) %}
  {%- set query -%}
    select
        (select count(*) from "{{ relation.schema }}"."{{ relation.identifier }}$files") as data_files,
        (select coalesce(sum(file_size_in_bytes), 0) from "{{ relation.schema }}"."{{ relation.identifier }}$files") as bytes,
        (select count(*) from "{{ relation.schema }}"."{{ relation.identifier }}$manifests") as manifests,
        (select count(*) from "{{ relation.schema }}"."{{ relation.identifier }}$snapshots") as snapshots
  {%- endset -%}
  {{ return(maintenance_stats_row(run_query(query))) }}
{% endmacro %}

{% macro maintenance_stats_row(table) %}
  {%- set stats = {} -%}
  {%- for name in ['data_files', 'bytes', 'manifests', 'snapshots'] -%}
    {%- set values = table.columns[name].values() if table is not none and name in table.column_names else [] -%}
    {%- do stats.update({name: (values | first | int) if values | length > 0 and values | first is not none else none}) -%}
  {%- endfor -%}
  {{ return(stats) }}
{% endmacro %}


{# The statements that maintain one table under a policy, in order. #}
{% macro maintenance_statements(relation, policy) %}
  {{ return(adapter.dispatch('maintenance_statements')(relation, policy)) }}
{% endmacro %}

{% macro default__maintenance_statements(relation, policy) %}
  {%- set table = relation.schema ~ '.' ~ relation.identifier -%}
  {%- set statements = [
    "call spark_catalog.system.rewrite_data_files(table => '" ~ table ~ "', options => map('target-file-size-bytes', '"
      ~ policy.target_file_size_bytes ~ "', 'min-input-files', '2'))",
    "call spark_catalog.system.rewrite_manifests(table => '" ~ table ~ "')",
    "call spark_catalog.system.expire_snapshots(table => '" ~ table ~ "', older_than => timestamp '"
      ~ maintenance_cutoff(hours=policy.max_snapshot_age_days | float * 24) ~ "', retain_last => " ~ policy.retain_last | int ~ ")",
    "call spark_catalog.system.remove_orphan_files(table => '" ~ table ~ "', older_than => timestamp '"
      ~ maintenance_cutoff(hours=policy.orphan_min_age_hours) ~ "')",
  ] -%}
  {{ return(statements) }}
{% endmacro %}

{% macro athena__maintenance_statements(relation, policy) %}
  {#- unquoted: ALTER TABLE ... SET TBLPROPERTIES, OPTIMIZE and VACUUM are not Trino statements -#}
  {%- set table = relation.schema ~ '.' ~ relation.identifier -%}
  {%- set statements = [
    "alter table " ~ table ~ " set tblproperties ('vacuum_min_snapshots_to_keep'='" ~ policy.retain_last | int
      ~ "', 'vacuum_max_snapshot_age_seconds'='" ~ (policy.max_snapshot_age_days | float * 86400) | int
      ~ "', 'optimize_rewrite_delete_file_threshold'='2')",
    "optimize " ~ table ~ " rewrite data using bin_pack",
    "vacuum " ~ table,
  ] -%}
  {{ return(statements) }}
{% endmacro %}


{# Orphan files a run would remove (a dry run): Spark asks Iceberg; Athena's VACUUM cannot say. #}
{% macro maintenance_orphans(relation, policy) %}
  {{ return(adapter.dispatch('maintenance_orphans')(relation, policy)) }}
{% endmacro %}

{% macro default__maintenance_orphans(relation, policy) %}
  {%- set result = run_query("call spark_catalog.system.remove_orphan_files(table => '" ~ relation.schema ~ "."
      ~ relation.identifier ~ "', older_than => timestamp '" ~ maintenance_cutoff(hours=policy.orphan_min_age_hours)
      ~ "', dry_run => true)") -%}
  {{ return(result.columns[0].values() | map('string') | list) }}
{% endmacro %}

{% macro athena__maintenance_orphans(relation, policy) %}
  {{ return(none) }}
{% endmacro %}


{# UTC now minus some hours, as an SQL timestamp literal's text. #}
{% macro maintenance_cutoff(hours) %}
  {%- set now = modules.datetime.datetime.now(modules.pytz.utc) -%}
  {{ return((now - modules.datetime.timedelta(hours=hours | float)).strftime('%Y-%m-%d %H:%M:%S')) }}
{% endmacro %}
