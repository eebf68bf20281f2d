{#
  Silver filter policies, switched by project vars (both off by default, as in the old pipeline):
    LiquidityPolicy: keep only quotes with bid > 0 and ask > 0
    ZeroDTEPolicy:   keep only quotes that expire on their trade date
  Changing a policy applies to days processed from then on; rebuild history with
  `dbt build --select silver --full-refresh`.
#}
{% macro policy_enabled(name) -%}
  {{- return(var(name, false) | string | lower in ['true', '1', 'yes', 'on']) -}}
{%- endmacro %}
