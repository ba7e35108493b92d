-- The lake's rows renamed and cast, one per lake row: a row re-delivered in a later batch appears once per
-- batch here; the incremental models keep the latest (macro new_rows_of). No de-duplication in the view,
-- so a filter on batch_id reaches the Parquet scan and a build reads only the new batches' files.
with source as (
    select * from {{ source('lake', 'statements') }}
)

select
    cast(row_id as varchar) as row_id,
    cast(article_id as varchar) as article_id,
    cast(speaker_name as varchar) as speaker_name,
    cast(speaker_role as varchar) as speaker_role,
    cast(speaker_actor_id as varchar) as speaker_actor_id,
    cast(reporting_verb as varchar) as reporting_verb,
    cast(quote_text as varchar) as quote_text,
    cast(is_direct as boolean) as is_direct,
    cast(date_text as varchar) as date_text,
    cast(statement_date as date) as statement_date,
    cast(segment as varchar) as segment,
    cast(sentence_index as bigint) as sentence_index,
    cast(evidence_text as varchar) as evidence_text,
    cast(confidence as double) as confidence,
    cast(rule as varchar) as rule,
    cast(batch_id as varchar) as batch_id
from source
