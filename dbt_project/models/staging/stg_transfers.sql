-- The lake's rows renamed and cast, one per lake row: a row re-delivered in a later batch appears once per
-- batch here; the incremental models keep the latest (macro new_rows_of). No de-duplication in the view,
-- so a filter on batch_id reaches the Parquet scan and a build reads only the new batches' files.
with source as (
    select * from {{ source('lake', 'transfers') }}
)

select
    cast(row_id as varchar) as row_id,
    cast(article_id as varchar) as article_id,
    cast(supplier_id as varchar) as supplier_id,
    cast(recipient_id as varchar) as recipient_id,
    cast(item_category as varchar) as item_category,
    cast(item_text as varchar) as item_text,
    cast(item_model as varchar) as item_model,
    cast(quantity_min as bigint) as quantity_min,
    cast(quantity_max as bigint) as quantity_max,
    cast(quantity_unit as varchar) as quantity_unit,
    cast(status as varchar) as status,
    cast(time_text as varchar) as time_text,
    cast(segment as varchar) as segment,
    cast(sentence_index as bigint) as sentence_index,
    cast(evidence_text as varchar) as evidence_text,
    cast(confidence as double) as confidence,
    cast(rule as varchar) as rule,
    cast(batch_id as varchar) as batch_id
from source
