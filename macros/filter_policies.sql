{#
  Silver filter policies, switched by project vars (both off by default, as in the old pipeline):
    liquidity_policy: keep only quotes with bid > 0 and ask > 0
    zero_dte_policy:  keep only quotes that expire on their trade date
  Changing a policy applies to days processed from then on; rebuild history with
  `dbt build --select tag:silver+ --full-refresh`.

  The old names LiquidityPolicy and ZeroDTEPolicy are deprecated aliases: a var set under an old
  name still works, takes precedence over the new name (so `--vars '{LiquidityPolicy: true}'`
  still switches the policy on over the project default), and logs a deprecation warning.
#}
{% macro policy_enabled(name) -%}
  {%- set deprecated_names = {'liquidity_policy': 'LiquidityPolicy', 'zero_dte_policy': 'ZeroDTEPolicy'} -%}
  {%- set old_name = deprecated_names.get(name) -%}
  {%- set value = var(name, false) -%}
  {%- if old_name and var(old_name, none) is not none -%}
    {%- set value = var(old_name) -%}
    {%- if execute -%}
      {%- do exceptions.warn("var " ~ old_name ~ " is deprecated: set " ~ name ~ " instead") -%}
    {%- endif -%}
  {%- endif -%}
  {{- return(value | string | lower in ['true', '1', 'yes', 'on']) -}}
{%- endmacro %}
