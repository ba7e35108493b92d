{#- In an incremental run, keep only rows of lake batches newer than the newest one already in the model.
    Batch ids sort in commit order (extractors/lake.py), so this selects exactly the batches committed since
    the last build; a full refresh (or the first build) selects everything. -#}
{% macro new_batches_only(column='batch_id') -%}
    {%- if is_incremental() -%}
    where {{ column }} > (select coalesce(max({{ column }}), '') from {{ this }})
    {%- endif -%}
{%- endmacro %}
