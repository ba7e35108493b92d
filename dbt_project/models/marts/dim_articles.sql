-- Incremental: a build loads the articles of new lake batches only; an article re-delivered in a later batch
-- replaces its row (delete+insert on article_id), as stg_articles keeps the latest batch's row.
{{
    config(
        materialized='incremental',
        unique_key='article_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

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
from {{ ref('stg_articles') }}
{{ new_batches_only() }}
