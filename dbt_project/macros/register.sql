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
{#- Incremental register marts (fct_transfer_deals, fct_event_clusters): a build recomputes only the clusters
    a new batch touched, not the whole register (at 100,000 articles a full rebuild of both took 30 s of a
    +50-file run). A cluster is touched when one of its claims is new (fct_claims.batch_id past the mart's
    `last_batch_id`), when an article of a story one of its claims belongs to is new (a copy can change the
    story's credited origin), or when its claims no longer add up to its row (an edited article's claims
    were dropped). Clusters left with no claim at all yield no row here and are deleted by the post-hook. With the vars `as_of` /
    `ingested_by` the model is compiled whole (`mirsad register --as-of` runs it as a query). -#}
{% macro register_incremental() -%}
    {%- if not is_incremental() or var('as_of', none) or var('ingested_by', none) -%}
        {{- return(false) -}}
    {%- endif -%}
    {#- a mart built before it was incremental has no last_batch_id: recomputed whole once (the column is added) -#}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {{- return('last_batch_id' in columns) -}}
{%- endmacro %}

{% macro touched_clusters(mention_table, key) -%}
    {%- if register_incremental() -%}
    and cluster_id in (
        with mark as (select coalesce(max(last_batch_id), '') as batch_id from {{ this }}),
        counted as (
            select cluster_id, count(*) as n from {{ ref('fct_claims') }}
            where mention_table = '{{ mention_table }}' group by cluster_id
        )
        select cluster_id from {{ ref('fct_claims') }}
        where mention_table = '{{ mention_table }}' and batch_id > (select batch_id from mark)
        union
        select cluster_id from {{ ref('fct_claims') }}
        where mention_table = '{{ mention_table }}'
          and story_id in (select story_id from {{ ref('dim_articles') }} where batch_id > (select batch_id from mark))
        union
        select c.cluster_id from counted as c join {{ this }} as t on t.{{ key }} = c.cluster_id
        where t.n_mentions <> c.n
    )
    {%- endif -%}
{%- endmacro %}

{% macro drop_empty_clusters(mention_table, key) -%}
    {%- if register_incremental() -%}
    delete from {{ this }} where {{ key }} not in (
        select cluster_id from {{ ref('fct_claims') }} where mention_table = '{{ mention_table }}')
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
