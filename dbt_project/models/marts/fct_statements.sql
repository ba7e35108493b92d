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

with statements as (
    {{ new_rows_of(ref('stg_statements'), 'row_id') }}
)

select
    s.row_id,
    s.article_id,
    s.speaker_name,
    s.speaker_role,
    s.speaker_actor_id,
    s.reporting_verb,
    s.quote_text,
    s.is_direct,
    s.date_text,
    s.statement_date,
    s.segment,
    s.sentence_index,
    s.evidence_text,
    s.confidence,
    s.rule,
    a.published_date,
    s.batch_id
from statements as s
left join {{ ref('dim_articles') }} as a using (article_id)
