{#- The register's "as of" filter on a relation with published_date and ingested_at (fct_claims): with the var
    `as_of` (a date), only mentions in articles published by that day; with `ingested_by` (a timestamp or
    date), only those ingested by then as well. Without the vars, no filter. -#}
{% macro as_of_filter() -%}
    where true
    {%- if var('as_of', none) %}
      and published_date <= cast('{{ var("as_of") }}' as date)
    {%- endif %}
    {%- if var('ingested_by', none) %}
      and ingested_at <= cast('{{ var("ingested_by") }}' as timestamp with time zone)
    {%- endif %}
{%- endmacro %}

{#- Rank of a transfer status on the way from intent to delivery (SIPRI's order -> delivery): what "latest
    status" prefers among mentions of the same day. -#}
{% macro status_rank(column) -%}
    case {{ column }}
        when 'sought' then 1 when 'considered' then 2 when 'offered' then 3 when 'planned' then 4
        when 'ongoing' then 5 when 'delivered' then 6 when 'intercepted' then 7 when 'denied' then 0
        else 0
    end
{%- endmacro %}
