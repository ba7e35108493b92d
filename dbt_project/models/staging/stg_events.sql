-- The lake's rows renamed and cast, one per lake row: a row re-delivered in a later batch appears once per
-- batch here; the incremental models keep the latest (macro new_rows_of). No de-duplication in the view,
-- so a filter on batch_id reaches the Parquet scan and a build reads only the new batches' files.
with source as (
    select * from {{ source('lake', 'events') }}
)

select
    cast(row_id as varchar) as row_id,
    cast(article_id as varchar) as article_id,
    cast(event_type as varchar) as event_type,
    cast(coalesce(actor_ids, []) as varchar[]) as actor_ids,
    cast(location_text as varchar) as location_text,
    cast(date_text as varchar) as date_text,
    cast(event_date as date) as event_date,
    cast(date_granularity as varchar) as date_granularity,
    cast(segment as varchar) as segment,
    cast(sentence_index as bigint) as sentence_index,
    cast(evidence_text as varchar) as evidence_text,
    cast(confidence as double) as confidence,
    cast(rule as varchar) as rule,
    cast(batch_id as varchar) as batch_id
from source
