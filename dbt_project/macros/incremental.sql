{#- In an incremental run, keep only rows of lake batches newer than the newest one already in the model.
    Batch ids sort in commit order (extractors/lake.py), so this selects exactly the batches committed since
    the last build; a full refresh (or the first build) selects everything.
    The newest batch id is looked up first and written into the SQL as a literal: DuckDB plans a constant
    filter far better than a scalar subquery over the staging view (measured at 20,000 articles: 25 ms
    against 77 ms per model, growing with the lake). -#}
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
