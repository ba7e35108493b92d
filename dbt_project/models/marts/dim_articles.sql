-- Incremental: a build loads the articles of new lake batches only; an article re-delivered in a later batch
-- replaces its row (delete+insert on article_id): the latest batch's row is kept.
{{
    config(
        materialized='incremental',
        unique_key='article_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_superseded() }}"
    )
}}
-- depends_on: {{ ref('int_superseded_articles') }}

with articles as (
    {{ new_rows_of(ref('stg_articles'), 'article_id', 'batch_id desc, ingested_at desc') }}
)

select
    article_id,
    source_file,
    title,
    published_date,
    published_date_source,
    source_name,
    url,
    char_count,
    ingested_at,
    extractor_version,
    sha256,
    encoding,
    main_char_count,
    related_segment_count,
    warnings,
    batch_id
from articles
