-- The lake's rows renamed and cast, one per lake row: a row re-delivered in a later batch appears once per
-- batch here; the incremental models keep the latest (macro new_rows_of). No de-duplication in the view,
-- so a filter on batch_id reaches the Parquet scan and a build reads only the new batches' files.
with source as (
    select * from {{ source('lake', 'articles') }}
)

select
    cast(article_id as varchar) as article_id,
    cast(source_file as varchar) as source_file,
    cast(title as varchar) as title,
    cast(published_date as date) as published_date,
    cast(published_date_source as varchar) as published_date_source,
    cast(source_name as varchar) as source_name,
    cast(url as varchar) as url,
    cast(char_count as bigint) as char_count,
    cast(ingested_at as timestamp with time zone) as ingested_at,
    cast(extractor_version as varchar) as extractor_version,
    cast(sha256 as varchar) as sha256,
    cast(encoding as varchar) as encoding,
    cast(main_char_count as bigint) as main_char_count,
    cast(related_segment_count as bigint) as related_segment_count,
    cast(coalesce(warnings, []) as varchar[]) as warnings,
    cast(batch_id as varchar) as batch_id
from source
