{{
    config(
        materialized='incremental',
        unique_key='row_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_superseded() }}"
    )
}}
-- depends_on: {{ ref('int_superseded_articles') }}

with transfers as (
    {{ new_rows_of(ref('stg_transfers'), 'row_id') }}
)

select
    t.row_id,
    t.article_id,
    t.supplier_id,
    t.recipient_id,
    t.item_category,
    t.item_text,
    t.item_model,
    t.quantity_min,
    t.quantity_max,
    t.quantity_unit,
    t.status,
    t.time_text,
    t.segment,
    t.sentence_index,
    t.evidence_text,
    t.confidence,
    t.rule,
    a.published_date,
    t.batch_id
from transfers as t
left join {{ ref('dim_articles') }} as a using (article_id)
