{{
    config(
        materialized='incremental',
        unique_key='ingestion_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

select
    ingestion_key,
    file_name,
    sha256,
    size_bytes,
    status,
    reason,
    article_id,
    run_id,
    ingested_at,
    duplicate_of,
    file_path,
    mtime_ns,
    batch_id
from {{ ref('stg_file_ingestions') }}
{{ new_batches_only() }}
