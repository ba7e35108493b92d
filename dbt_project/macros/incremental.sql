{#- In an incremental run, keep only rows of lake batches newer than the newest one already in the model.
    Batch ids sort in commit order (extractors/lake.py), so this selects exactly the batches committed since
    the last build; a full refresh (or the first build) selects everything.
    The newest batch id is looked up first and written into the SQL as a literal, not a scalar subquery: a
    constant filter is pushed into the Parquet scan of the staging view, whose row-group statistics then skip
    every older batch (see new_rows_of for the measurement). -#}
{% macro new_batches_only(column='batch_id') -%}
    {%- if is_incremental() -%}
        {%- set newest = '' -%}
        {%- if execute -%}
            {%- set found = run_query('select coalesce(max(' ~ column ~ "), '') from " ~ this) -%}
            {%- set newest = found.columns[0].values()[0] -%}
        {%- endif -%}
    where {{ column }} > '{{ newest | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}

{#- The rows an incremental model loads from a staging view: those of the new batches only (all of them on a
    full refresh), one per key, the latest batch winning. Filtering before de-duplicating is what lets DuckDB
    read only the new batches' Parquet files: at 100,000 articles, 18 ms for 50 new files' statements against
    546 ms when the window ran over the whole lake first. Rows of older batches with the same key are replaced
    by the model's delete+insert on that key. -#}
{% macro new_rows_of(relation, key, order_by='batch_id desc') -%}
    select * from {{ relation }}
    {{ new_batches_only() }}
    qualify row_number() over (partition by {{ key }} order by {{ order_by }}) = 1
{%- endmacro %}

{#- Post-hook of the incremental marts: delete the rows of articles a newer version of their file has
    replaced (int_superseded_articles), so an edited article is counted once. Models using it declare
    `-- depends_on: {{ ref('int_superseded_articles') }}` so dbt builds that table first. -#}
{% macro drop_superseded(column='article_id') -%}
    delete from {{ this }} where {{ column }} in (select article_id from {{ ref('int_superseded_articles') }})
{%- endmacro %}
