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

with events as (
    {{ new_rows_of(ref('stg_events'), 'row_id') }}
)

select
    e.row_id,
    e.article_id,
    e.event_type,
    e.actor_ids,
    e.location_text,
    e.date_text,
    e.event_date,
    e.date_granularity,
    e.segment,
    e.sentence_index,
    e.evidence_text,
    e.confidence,
    e.rule,
    a.published_date,
    e.batch_id
from events as e
left join {{ ref('dim_articles') }} as a using (article_id)
